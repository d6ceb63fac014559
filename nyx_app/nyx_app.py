"""The Reflex app: pages, routes and the HTTP routes next to them. Glue only."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from functools import partial

import reflex as rx
from reflex.utils import prerequisites
from reflex_base import constants

from nyx_app import routes
from nyx_app.api import SecurityHeaders, api, mcp_endpoint
from nyx_app.integrations import llm
from nyx_app.integrations.images import image_workers
from nyx_app.jobs.sweepers import sweep_auth_throttle, sweep_runs
from nyx_app.jobs.worker import in_process_worker, pdf_renderer
from nyx_app.pages.account import AccountState, account_page
from nyx_app.pages.admin.health import HealthState, health_page
from nyx_app.pages.api_tokens.state import TokensState
from nyx_app.pages.api_tokens.view import api_tokens_page
from nyx_app.pages.audit.state import AuditState
from nyx_app.pages.audit.view import audit_page
from nyx_app.pages.auth_pages import LoginState, login_page, register_page
from nyx_app.pages.dashboard import DashboardState, dashboard_page
from nyx_app.pages.discussion import DiscussionState, discussion_page
from nyx_app.pages.invite import InviteState, invite_page
from nyx_app.pages.knowledge.enrichment import EnrichmentState, enrichment_page
from nyx_app.pages.knowledge.insights import InsightsState, insights_page
from nyx_app.pages.knowledge.policies import PoliciesState, policies_page
from nyx_app.pages.knowledge.settings import SearchSettingsState, search_settings_page
from nyx_app.pages.members import MembersState
from nyx_app.pages.members_view import members_page
from nyx_app.pages.memory import MemoryState
from nyx_app.pages.memory_view import memory_page
from nyx_app.pages.not_found import not_found_page
from nyx_app.pages.note import NoteState, note_page
from nyx_app.pages.password_reset.forgot import ForgotState, forgot_password_page
from nyx_app.pages.password_reset.reset import ResetState, reset_password_page
from nyx_app.pages.personas import PersonasState, personas_page
from nyx_app.pages.project import ProjectState
from nyx_app.pages.project_view import project_page
from nyx_app.pages.providers import ProvidersState
from nyx_app.pages.providers_view import providers_page
from nyx_app.pages.public_project import PublicProjectState, public_project_page
from nyx_app.pages.report import ReportState, report_page
from nyx_app.pages.run import run_page
from nyx_app.pages.run_state import RunState
from nyx_app.pages.runs.compare import compare_page
from nyx_app.pages.runs.compare_state import CompareState
from nyx_app.pages.sources.fixes import FixesState, fixes_page
from nyx_app.pages.sources.page import SourcesState, sources_page
from nyx_app.pages.spend.page import spend_page
from nyx_app.pages.spend.state import SpendState
from nyx_app.pages.trash.page import trash_page
from nyx_app.pages.trash.state import TrashState
from nyx_app.pages.webhooks.page import WebhooksState, webhooks_page
from nyx_app.pages.workflow_editor import workflow_page
from nyx_app.pages.workflow_editor_state import EditorState
from nyx_app.services import health
from nyx_app.state.notifications import BellState
from nyx_app.state.session import AuthState

# The built pages, whose inline scripts the Content-Security-Policy allows by hash.
BUILT_PAGES = prerequisites.get_web_dir() / constants.Dirs.STATIC

app = rx.App(
    # api first (it mounts Reflex's app under its routes), then the headers around all of it.
    api_transformer=[api, partial(SecurityHeaders, static_dir=BUILT_PAGES)],
    # Bottom left: actions sit on the right of cards and page headers (Edit, Delete, Publish), and
    # stacked toasts in the bottom-right corner covered them; at most three show at once.
    toaster=rx.toast.provider(position="bottom-left", close_button=True, visible_toasts=3),
    # The app's few global rules (assets/nyx.css), code colours (integrations/code_highlight.py)
    # and the product's icon (assets/, served at /).
    stylesheets=["/nyx.css", "/code_highlight.css"],
    head_components=[
        rx.el.link(rel="icon", href="/favicon.ico", sizes="48x48"),
        rx.el.link(rel="icon", href="/icon.svg", type="image/svg+xml"),
        rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png"),
        rx.el.meta(name="theme-color", content="#3e63dd"),
        # Draws the Mermaid diagrams of any Markdown the page shows (api/diagram_assets.py).
        rx.el.script(src=routes.DIAGRAMS_JS, defer=True),
        # Keyboard shortcuts (assets/nyx.js): from the app itself, as the policy allows.
        rx.el.script(src="/nyx.js", defer=True),
    ],
)
app.register_lifespan_task(sweep_auth_throttle)
# The MCP endpoint's session manager (its task group) lives as long as the server.
app.register_lifespan_task(mcp_endpoint.running)
# Every process sweeps runs (light checks): runs move on, or say why not, even with no worker alive.
app.register_lifespan_task(sweep_runs)
# Before the worker: lifespan tasks end in reverse order, so the browser closes after the jobs.
app.register_lifespan_task(pdf_renderer)
# A job worker beside the pages (a supervised child process), so ./scripts/run does everything
# (more: python -m nyx_app.cli worker).
app.register_lifespan_task(in_process_worker)


async def preload_litellm() -> None:
    """``import litellm`` takes 5-18 s of CPU here. Done lazily inside the first LLM call, it held
    the event loop that long: every page of the process froze. A daemon thread pays it after
    start-up instead (and never holds up a shutdown); it also installs the SSRF guard."""
    threading.Thread(target=llm.warm_up, name="nyx-preload-litellm", daemon=True).start()


app.register_lifespan_task(preload_litellm)


@contextlib.asynccontextmanager
async def draining() -> AsyncIterator[None]:
    """Registered last, so it ends first at shutdown: /readyz says "stopping" from then on."""
    try:
        yield
    finally:
        health.mark_stopping()


app.register_lifespan_task(image_workers)
app.register_lifespan_task(draining)

app.add_page(login_page, route=routes.LOGIN, title="Log in · nyxCore", on_load=LoginState.load)
app.add_page(register_page, route=routes.REGISTER, title="Register · nyxCore", on_load=LoginState.load)
app.add_page(
    forgot_password_page, route=routes.FORGOT_PASSWORD, title="Forgot password · nyxCore", on_load=ForgotState.load
)
app.add_page(reset_password_page, route=routes.RESET_PASSWORD, title="New password · nyxCore", on_load=ResetState.load)
# Open to everyone: a published project's page, an invitation, and "not found" for the rest.
app.add_page(public_project_page, route=routes.PUBLIC_PROJECT, title="nyxCore", on_load=PublicProjectState.load)
app.add_page(invite_page, route=routes.INVITE, title="Invitation · nyxCore", on_load=InviteState.load)
app.add_page(not_found_page, route="404", title="Not found · nyxCore", on_load=AuthState.refresh)

# Each page's on_load resolves the session once (a signed-out visitor goes to the login page)
# and reads what the page shows in one transaction.
signed_in = [
    (dashboard_page, routes.DASHBOARD, "Projects", DashboardState.load),
    (project_page, routes.PROJECT, "Project", ProjectState.load),
    (note_page, routes.NOTE, "Note", NoteState.load),
    (memory_page, routes.MEMORY, "Memory Hub", MemoryState.load),
    (members_page, routes.MEMBERS, "Members", MembersState.load),
    (workflow_page, routes.WORKFLOW, "Workflow", EditorState.load),
    (run_page, routes.RUN, "Run", RunState.load),
    (compare_page, routes.RUN_COMPARE, "Compare runs", CompareState.load),
    (personas_page, routes.PERSONAS, "Personas", PersonasState.load),
    (discussion_page, routes.DISCUSSION, "Discussion", DiscussionState.load),
    (report_page, routes.REPORT, "Report", ReportState.load),
    (providers_page, routes.PROVIDERS, "Providers", ProvidersState.load),
    (spend_page, routes.SPEND, "Spend", SpendState.load),
    (trash_page, routes.TRASH, "Trash", TrashState.load),
    (account_page, routes.ACCOUNT, "Account", AccountState.load),
    (search_settings_page, routes.SEARCH_SETTINGS, "Search", SearchSettingsState.load),
    (api_tokens_page, routes.API_TOKENS, "API tokens", TokensState.load),
    (audit_page, routes.AUDIT, "Audit log", AuditState.load),
    (webhooks_page, routes.WEBHOOKS, "Webhooks", WebhooksState.load),
    (health_page, routes.ADMIN_HEALTH, "System health", HealthState.load),
    (insights_page, routes.INSIGHTS, "Insights", InsightsState.load),
    (sources_page, routes.SOURCES, "Sources", SourcesState.load),
    (fixes_page, routes.FIXES, "Auto-fix", FixesState.load),
    (enrichment_page, routes.ENRICHMENT, "Enrich", EnrichmentState.load),
    (policies_page, routes.POLICIES, "Policy library", PoliciesState.load),
]
for page, route, title, load in signed_in:
    # The phone menu closes on every page load: a link followed, a reload, the browser's back.
    app.add_page(page, route=route, title=f"{title} · nyxCore", on_load=[AuthState.close_nav, load, BellState.load])
