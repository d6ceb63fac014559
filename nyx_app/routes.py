"""Route strings and URL builders: the one place that knows the app's URLs."""

from __future__ import annotations

# The cookie holding the browser's session token: set HttpOnly by the login and register routes
# (api/auth_routes.py), read by them, the image route and, from the websocket handshake, the state.
SESSION_COOKIE = "nyx_session"
# A short-lived HttpOnly cookie that carries what the user typed back to a form after an error.
FORM_COOKIE = "nyx_form"

# The forms post here (plain HTTP: only an HTTP response can set an HttpOnly cookie).
LOGIN_API = "/api/auth/login"
REGISTER_API = "/api/auth/register"
LOGOUT_API = "/api/auth/logout"

# Reports (api/reports.py): downloads for the signed-in tenant (fmt: markdown, pdf or json), the
# diagram scripts, and the public page of a published dev-log post (no login).
REPORT_DOWNLOAD = "/api/reports/{report_id}/{fmt}"
REPORT_DIAGRAMS_JS = "/api/report-assets/diagrams.js"
REPORT_MERMAID_JS = "/api/report-assets/mermaid-{version}.js"
PUBLIC_POST = "/posts/{public_id}"
# One run step's (or fan-out item's) answer as a Markdown file (api/run_outputs.py).
RUN_OUTPUT_DOWNLOAD = "/api/runs/{run_id}/outputs/{row_id}/markdown"

LOGIN = "/login"
REGISTER = "/register"
DASHBOARD = "/"
PROJECT = "/projects/[project_id]"
NOTE = "/projects/[project_id]/notes/[note_id]"
WORKFLOW = "/projects/[project_id]/workflows/[workflow_id]"
RUN = "/projects/[project_id]/runs/[run_id]"
DISCUSSION = "/projects/[project_id]/discussions/[discussion_id]"
REPORT = "/projects/[project_id]/reports/[report_id]"
PERSONAS = "/personas"
MEMORY = "/memory"
MEMBERS = "/settings/members"
ACCOUNT = "/settings/account"
PROVIDERS = "/settings/providers"
SPEND = "/spend"
TRASH = "/trash"
# Open to everyone: a published project's read-only page, and an invitation link.
PUBLIC_PROJECT = "/public/[project_id]"
INVITE = "/invite/[token]"
PUBLIC_IMAGE_API = "/api/public/{project_id}/images/{image_id}"
PUBLIC_THUMB_API = "/api/public/{project_id}/images/{image_id}/thumb"


def project_url(project_id: str, tab: str = "") -> str:
    """The project page; ``tab`` opens one of its tabs (notes, workflows, runs, reports, settings)."""
    return f"/projects/{project_id}" + (f"?tab={tab}" if tab else "")


def note_url(project_id: str, note_id: str) -> str:
    return f"/projects/{project_id}/notes/{note_id}"


def workflow_url(project_id: str, workflow_id: str) -> str:
    return f"/projects/{project_id}/workflows/{workflow_id}"


def run_url(project_id: str, run_id: str) -> str:
    return f"/projects/{project_id}/runs/{run_id}"


def discussion_url(project_id: str, discussion_id: str) -> str:
    return f"/projects/{project_id}/discussions/{discussion_id}"


def public_project_url(project_id: str) -> str:
    return f"/public/{project_id}"


def invite_url(token: str) -> str:
    return f"/invite/{token}"


def public_image_url(project_id: str, image_id: str, *, thumb: bool = False) -> str:
    path = PUBLIC_THUMB_API if thumb else PUBLIC_IMAGE_API
    return path.format(project_id=project_id, image_id=image_id)


def report_url(project_id: str, report_id: str) -> str:
    return f"/projects/{project_id}/reports/{report_id}"


def report_download_url(report_id: str, fmt: str) -> str:
    """``fmt``: markdown, pdf, or json (a run report's raw record)."""
    return REPORT_DOWNLOAD.format(report_id=report_id, fmt=fmt)


def public_post_url(public_id: str) -> str:
    """Relative; pages show it with the app's public address in front."""
    return PUBLIC_POST.format(public_id=public_id)


def run_output_download_url(run_id: str, row_id: str) -> str:
    return RUN_OUTPUT_DOWNLOAD.format(run_id=run_id, row_id=row_id)
