"""The Reflex app: pages, routes and the HTTP routes next to them. Glue only."""

from __future__ import annotations

import importlib
import threading

import reflex as rx

from nyx_app import routes
from nyx_app.api import api
from nyx_app.jobs.worker import in_process_worker
from nyx_app.pages.account import AccountState, account_page
from nyx_app.pages.auth_pages import LoginState, login_page, register_page
from nyx_app.pages.dashboard import DashboardState, dashboard_page
from nyx_app.pages.members import MembersState, members_page
from nyx_app.pages.memory import MemoryState, memory_page
from nyx_app.pages.note import NoteState, note_page
from nyx_app.pages.project import ProjectState, project_page
from nyx_app.pages.providers import ProvidersState, providers_page
from nyx_app.pages.run import run_page
from nyx_app.pages.run_state import RunState
from nyx_app.pages.workflow_editor import workflow_page
from nyx_app.pages.workflow_editor_state import EditorState
from nyx_app.state.session import AuthState

app = rx.App(api_transformer=api, toaster=rx.toast.provider(position="bottom-right"))
# A job worker beside the pages, so ./scripts/run does everything (more: python -m nyx_app.cli worker).
app.register_lifespan_task(in_process_worker)


async def preload_litellm() -> None:
    """``import litellm`` takes 5-18 s of CPU here. Done lazily inside the first LLM call, it held
    the event loop that long: every page of the process froze (the run page stayed "loading").
    A daemon thread pays it after start-up instead (and never holds up a shutdown)."""
    threading.Thread(target=importlib.import_module, args=("litellm",), name="nyx-preload-litellm", daemon=True).start()


app.register_lifespan_task(preload_litellm)

public = LoginState.redirect_if_signed_in
app.add_page(login_page, route=routes.LOGIN, title="Log in · nyxCore", on_load=public)
app.add_page(register_page, route=routes.REGISTER, title="Register · nyxCore", on_load=public)

signed_in = [
    (dashboard_page, routes.DASHBOARD, "Projects", DashboardState.load),
    (project_page, routes.PROJECT, "Project", ProjectState.load),
    (memory_page, routes.MEMORY, "Memory Hub", MemoryState.load),
    (members_page, routes.MEMBERS, "Members", MembersState.load),
    (note_page, routes.NOTE, "Note", NoteState.load),
    (workflow_page, routes.WORKFLOW, "Workflow", EditorState.load),
    (run_page, routes.RUN, "Run", RunState.load),
    (providers_page, routes.PROVIDERS, "Providers", ProvidersState.load),
    (account_page, routes.ACCOUNT, "Account", AccountState.load),
]
for page, route, title, load in signed_in:
    app.add_page(page, route=route, title=f"{title} · nyxCore", on_load=[AuthState.guard, load])
