"""The Reflex app: pages, routes and the HTTP routes next to them. Glue only."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.api import api
from nyx_app.jobs.worker import in_process_worker
from nyx_app.pages.account import AccountState, account_page
from nyx_app.pages.auth_pages import LoginState, login_page, register_page
from nyx_app.pages.dashboard import DashboardState, dashboard_page
from nyx_app.pages.discussion import DiscussionState, discussion_page
from nyx_app.pages.members import MembersState, members_page
from nyx_app.pages.memory import MemoryState, memory_page
from nyx_app.pages.note import NoteState, note_page
from nyx_app.pages.personas import PersonasState, personas_page
from nyx_app.pages.project import ProjectState, project_page
from nyx_app.pages.providers import ProvidersState, providers_page
from nyx_app.state.session import AuthState

app = rx.App(api_transformer=api, toaster=rx.toast.provider(position="bottom-right"))
# A job worker beside the pages, so ./scripts/run does everything (more: python -m nyx_app.cli worker).
app.register_lifespan_task(in_process_worker)

public = LoginState.redirect_if_signed_in
app.add_page(login_page, route=routes.LOGIN, title="Log in · nyxCore", on_load=public)
app.add_page(register_page, route=routes.REGISTER, title="Register · nyxCore", on_load=public)

signed_in = [
    (dashboard_page, routes.DASHBOARD, "Projects", DashboardState.load),
    (project_page, routes.PROJECT, "Project", ProjectState.load),
    (memory_page, routes.MEMORY, "Memory Hub", MemoryState.load),
    (members_page, routes.MEMBERS, "Members", MembersState.load),
    (note_page, routes.NOTE, "Note", NoteState.load),
    (personas_page, routes.PERSONAS, "Personas", PersonasState.load),
    (discussion_page, routes.DISCUSSION, "Discussion", DiscussionState.load),
    (providers_page, routes.PROVIDERS, "Providers", ProvidersState.load),
    (account_page, routes.ACCOUNT, "Account", AccountState.load),
]
for page, route, title, load in signed_in:
    app.add_page(page, route=route, title=f"{title} · nyxCore", on_load=[AuthState.guard, load])
