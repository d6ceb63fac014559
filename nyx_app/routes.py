"""Route strings and URL builders: the one place that knows the app's URLs."""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

# The cookie holding the browser's session token: set HttpOnly by the login and register routes
# (api/auth_routes.py), read by them, the image route and, from the websocket handshake, the state.
SESSION_COOKIE = "nyx_session"
# A short-lived HttpOnly cookie that carries what the user typed back to a form after an error.
FORM_COOKIE = "nyx_form"
# The browser's device cookie (services/devices.py): sent only to the auth routes below.
DEVICE_COOKIE = "nyx_device"
DEVICE_COOKIE_PATH = "/api/auth/"

# The forms post here (plain HTTP: only an HTTP response can set an HttpOnly cookie).
LOGIN_API = "/api/auth/login"
REGISTER_API = "/api/auth/register"
LOGOUT_API = "/api/auth/logout"
FORGOT_PASSWORD_API = "/api/auth/forgot-password"
RESET_PASSWORD_API = "/api/auth/reset-password"

# Reports (api/reports.py): downloads for the signed-in tenant (fmt: markdown, pdf or json) and the
# public page of a published dev-log post (no login).
REPORT_DOWNLOAD = "/api/reports/{report_id}/{fmt}"
# The diagram scripts every page loads (api/diagram_assets.py): the app's own and Mermaid's bundle.
DIAGRAMS_JS = "/api/assets/diagrams.js"
MERMAID_JS = "/api/assets/mermaid-{version}.js"
PUBLIC_POST = "/posts/{public_id}"
# One run step's (or fan-out item's) answer as a Markdown file (api/run_outputs.py).
RUN_OUTPUT_DOWNLOAD = "/api/runs/{run_id}/outputs/{row_id}/markdown"

# The public API (api/v1/, FastAPI behind a token gate), its docs page, and the MCP endpoint.
API_V1 = "/api/v1"
API_DOCS = "/api/v1/docs"
MCP = "/mcp"
# Health for load balancers (api/health.py) and Prometheus metrics (api/metrics.py).
HEALTHZ = "/healthz"
READYZ = "/readyz"
METRICS = "/metrics"
# The audit log's CSV/JSON download for the signed-in owner or admin (api/audit_export.py).
AUDIT_EXPORT = "/api/audit/export"

LOGIN = "/login"
REGISTER = "/register"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password/[token]"
DASHBOARD = "/"
PROJECT = "/projects/[project_id]"
NOTE = "/projects/[project_id]/notes/[note_id]"
WORKFLOW = "/projects/[project_id]/workflows/[workflow_id]"
RUN = "/projects/[project_id]/runs/[run_id]"
# Two runs of a project step by step (a re-run beside the run it came from).
RUN_COMPARE = "/projects/[project_id]/runs/[run_id]/compare/[other_run_id]"
DISCUSSION = "/projects/[project_id]/discussions/[discussion_id]"
REPORT = "/projects/[project_id]/reports/[report_id]"
PERSONAS = "/personas"
MEMORY = "/memory"
MEMBERS = "/settings/members"
ACCOUNT = "/settings/account"
PROVIDERS = "/settings/providers"
SEARCH_SETTINGS = "/settings/search"
API_TOKENS = "/settings/api-tokens"
AUDIT = "/settings/audit"
WEBHOOKS = "/settings/webhooks"
ADMIN_HEALTH = "/settings/health"
SPEND = "/spend"
TRASH = "/trash"
# Knowledge (pages/knowledge): a project's workflow insights and patterns, a note's enrichment, the
# workspace's policy library.
INSIGHTS = "/projects/[project_id]/insights"
# Code sources (pages/sources): the project's imported repository, its syncs and files.
SOURCES = "/projects/[project_id]/sources"
# An auto-fix or refactor run: select its issues, read the diffs, download, push, pull request.
FIXES = "/projects/[project_id]/fixes/[run_id]"
ENRICHMENT = "/projects/[project_id]/notes/[note_id]/enrichments/[enrichment_id]"
POLICIES = "/settings/policies"
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


def sources_url(project_id: str) -> str:
    return f"/projects/{project_id}/sources"


def fixes_url(project_id: str, run_id: str) -> str:
    return f"/projects/{project_id}/fixes/{run_id}"


def run_compare_url(project_id: str, run_id: str, other_run_id: str) -> str:
    return f"/projects/{project_id}/runs/{run_id}/compare/{other_run_id}"


def discussion_url(project_id: str, discussion_id: str) -> str:
    return f"/projects/{project_id}/discussions/{discussion_id}"


def public_project_url(project_id: str) -> str:
    return f"/public/{project_id}"


def invite_url(token: str) -> str:
    return f"/invite/{token}"


def public_image_url(project_id: str, image_id: str, *, thumb: bool = False) -> str:
    path = PUBLIC_THUMB_API if thumb else PUBLIC_IMAGE_API
    return path.format(project_id=project_id, image_id=image_id)


def insights_url(project_id: str) -> str:
    return f"/projects/{project_id}/insights"


def enrichment_url(project_id: str, note_id: str, enrichment_id: str) -> str:
    return f"/projects/{project_id}/notes/{note_id}/enrichments/{enrichment_id}"


def knowledge_url(kind: str, item_id: str, parent_id: str = "", project_id: str = "") -> str:
    """Where a search hit or a retrieved passage opens: its own page, or its parent's."""
    if kind == "note" and project_id:
        return note_url(project_id, item_id)
    if kind == "run_output" and project_id:
        return run_url(project_id, item_id)
    if kind == "insight" and project_id and parent_id:
        return run_url(project_id, parent_id)
    if kind == "report" and project_id:
        return report_url(project_id, item_id)
    if kind == "memory":
        return f"{MEMORY}?entry={item_id}"
    if kind == "image_description" and project_id and parent_id:
        return note_url(project_id, parent_id)
    if kind == "policy_passage":
        return f"{POLICIES}?document={parent_id}" if parent_id else POLICIES
    if kind == "pattern" and project_id:
        return insights_url(project_id)
    return project_url(project_id) if project_id else DASHBOARD


def report_url(project_id: str, report_id: str) -> str:
    return f"/projects/{project_id}/reports/{report_id}"


def report_download_url(report_id: str, fmt: str) -> str:
    """``fmt``: markdown, pdf, or json (a run report's raw record)."""
    return REPORT_DOWNLOAD.format(report_id=report_id, fmt=fmt)


def public_post_url(public_id: str) -> str:
    """Relative; pages show it with the app's public address in front."""
    return PUBLIC_POST.format(public_id=public_id)


def reset_password_url(token: str) -> str:
    return f"/reset-password/{token}"


# Where a login may send the browser afterwards: a path of this app, never another site.
NEXT_MAX = 512
_NOT_AFTER_LOGIN = (LOGIN, REGISTER, FORGOT_PASSWORD)


def safe_next(value: str | None) -> str:
    """``value`` if it is a path of this app to go to after logging in, else "".

    Refused: anything that is not a plain absolute path (``https://…``, ``//host``, ``/\\host``,
    which browsers read as ``//host``), control characters or spaces (browsers drop tabs and
    newlines, so ``/\\t/host`` would become ``//host``), any non-ASCII character, and the same
    tricks percent-encoded once or several times (``/%2F%2Fhost``, ``%2F%5Chost``). The login,
    register and password pages and the API are no destination either.
    """
    if not value or len(value) > NEXT_MAX:
        return ""
    decoded = value
    for _ in range(4):  # double and triple encoding too
        decoded = unquote(decoded)
    for form in (value, decoded):
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return ""
        if any(not 0x21 <= ord(ch) <= 0x7E for ch in form):
            return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in _NOT_AFTER_LOGIN or parts.path.startswith("/api/"):
        return ""
    return value


def login_url(next_path: str = "") -> str:
    """The login page; after logging in the browser goes on to ``next_path`` (when it is safe)."""
    wanted = safe_next(next_path)
    return f"{LOGIN}?{urlencode({'next': wanted})}" if wanted and wanted != DASHBOARD else LOGIN


def run_output_download_url(run_id: str, row_id: str) -> str:
    return RUN_OUTPUT_DOWNLOAD.format(run_id=run_id, row_id=row_id)
