"""Route strings and URL builders: the one place that knows the app's URLs."""

from __future__ import annotations

# The cookie holding the browser's session token (state/session.py sets it, api/ reads it).
SESSION_COOKIE = "nyx_session"

LOGIN = "/login"
REGISTER = "/register"
DASHBOARD = "/"
PROJECT = "/projects/[project_id]"
NOTE = "/projects/[project_id]/notes/[note_id]"
DISCUSSION = "/projects/[project_id]/discussions/[discussion_id]"
PERSONAS = "/personas"
MEMORY = "/memory"
MEMBERS = "/settings/members"
ACCOUNT = "/settings/account"
PROVIDERS = "/settings/providers"


def project_url(project_id: str) -> str:
    return f"/projects/{project_id}"


def note_url(project_id: str, note_id: str) -> str:
    return f"/projects/{project_id}/notes/{note_id}"


def discussion_url(project_id: str, discussion_id: str) -> str:
    return f"/projects/{project_id}/discussions/{discussion_id}"
