"""How a run's answers show on its page: Markdown rendered by the one renderer (cached: a watched
run is re-read many times a second), a finished JSON answer laid out as a table with its raw JSON
beside it, and the address of each answer's Markdown download."""

from __future__ import annotations

import json
from functools import lru_cache

from nyx_app import routes
from nyx_app.integrations import markdown
from nyx_app.models.run import StepStatus
from nyx_app.services.reports.text import fence
from nyx_app.services.runs import json_view
from nyx_app.services.runs.views import STEP_PREVIEW_CHARS, StepView

STEP_RAW_CHARS = STEP_PREVIEW_CHARS  # the raw JSON shown under a table, before "Show full output"


@lru_cache(maxsize=2048)
def html(text: str) -> str:
    """Model output is hostile text: only the one renderer turns it into HTML. Cached: a watched
    run is re-read many times a second and most previews have not changed since the last read."""
    return markdown.render(text) if text else ""


def download_url(run_id: str, row_id: str, status: str, chars: int) -> str:
    done = status == StepStatus.SUCCEEDED.value and chars > 0
    return routes.run_output_download_url(run_id, row_id) if done else ""


@lru_cache(maxsize=256)
def _readable(text: str) -> str:
    """A JSON answer as a table or list (Markdown through the one renderer); "" if it is not one."""
    table = json_view.readable(text)
    return markdown.render(table) if table else ""


def json_rows(step: StepView) -> tuple[str, str, bool]:
    """For a finished JSON step: its readable HTML, its raw JSON as a code block, and whether that
    block is cut short (the "raw" view); empty when it has no readable layout."""
    if step.status != StepStatus.SUCCEEDED.value or step.output_chars > len(step.preview):
        return "", "", False
    readable = _readable(step.preview)
    if not readable:
        return "", "", False
    pretty = json.dumps(json.loads(step.preview), indent=2, ensure_ascii=False)  # it parsed just above
    raw = pretty[:STEP_RAW_CHARS]
    return readable, html(fence(raw, "json")), len(pretty) > len(raw)
