"""What the Reports tab and the report viewer put in state: rows of display strings built from the
services' view objects by pure functions (tested without a browser or a database)."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import date, timedelta

from nyx_app import routes
from nyx_app.models.report import KIND_LABELS, PdfStatus, ReportKind
from nyx_app.models.run import RunStatus
from nyx_app.pages.run_rows import COLORS, RUN_LABELS, when
from nyx_app.services.reports.store import ReportSummary
from nyx_app.services.reports.text import money, size
from nyx_app.services.reports.writers import WritingRun
from nyx_app.services.runs.views import RunSummary

# What "Generate" offers, in this order, with what each one is.
KINDS: list[tuple[str, str]] = [
    (ReportKind.OVERVIEW.value, "Notes with their images, memory entries, recent runs with cost, workflow diagrams."),
    (ReportKind.RUN.value, "Every step of one run: models, attempts, tokens, cost, outputs, traceability."),
    (ReportKind.SUMMARY.value, "Written by the project's model from everything in the project (a run)."),
    (ReportKind.DEVLOG.value, "A post about what happened in a period, in the seeds' shape (a run); can be published."),
]
KIND_COLORS = {"overview": "blue", "run": "gray", "summary": "violet", "devlog": "green"}
_HEADING = re.compile(r'<h([1-3]) id="(md-[^"]+)">(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
TOC_MAX = 200


@dataclasses.dataclass
class KindOption:
    value: str
    label: str
    about: str


@dataclasses.dataclass
class ReportRow:
    id: str
    kind: str
    kind_label: str
    kind_color: str
    title: str
    created: str
    author: str
    size: str
    url: str
    markdown_url: str
    pdf_url: str
    pdf_ready: bool
    pdf_note: str  # "" when ready; else what is going on, in words
    pdf_failed: bool
    may_retry_pdf: bool
    published: bool
    may_delete: bool


@dataclasses.dataclass
class WritingRow:
    run_id: str
    kind_label: str
    title: str
    status_label: str
    status_color: str
    started: str
    error: str
    run_url: str
    active: bool
    unsaved: bool  # the run succeeded but no report was saved (yet)


@dataclasses.dataclass
class RunChoice:
    id: str
    label: str


@dataclasses.dataclass
class TocEntry:
    level: int
    text: str
    anchor: str  # the heading's id


def kind_options() -> list[KindOption]:
    return [KindOption(value, KIND_LABELS[ReportKind(value)], about) for value, about in KINDS]


def pdf_note(status: PdfStatus, error: str, stuck: bool) -> str:
    if status == PdfStatus.READY:
        return ""
    if status == PdfStatus.FAILED:
        return f"The PDF could not be made: {error} The Markdown download works."
    if stuck:
        return "The PDF was not finished (the server may have restarted). Make it again."
    return "The PDF is being made…"


def report_row(r: ReportSummary, project_id: str) -> ReportRow:
    return ReportRow(
        id=r.id,
        kind=r.kind.value,
        kind_label=r.kind.label,
        kind_color=KIND_COLORS.get(r.kind.value, "gray"),
        title=r.title,
        created=when(r.created_at),
        author=r.author,
        size=size(r.size_bytes) + (f" · PDF {size(r.pdf_bytes)}" if r.pdf_status == PdfStatus.READY else ""),
        url=routes.report_url(project_id, r.id),
        markdown_url=routes.report_download_url(r.id, "markdown"),
        pdf_url=routes.report_download_url(r.id, "pdf"),
        pdf_ready=r.pdf_status == PdfStatus.READY,
        pdf_note=pdf_note(r.pdf_status, r.pdf_error, r.pdf_stuck),
        pdf_failed=r.pdf_status == PdfStatus.FAILED,
        may_retry_pdf=r.pdf_status == PdfStatus.FAILED or r.pdf_stuck,
        published=r.published,
        may_delete=r.may_delete,
    )


def writing_row(w: WritingRun, project_id: str) -> WritingRow:
    active = not w.status.finished
    unsaved = w.status == RunStatus.SUCCEEDED
    return WritingRow(
        run_id=w.run_id,
        kind_label=w.kind.label,
        title=w.title,
        status_label="writing the report is done, saving it…" if unsaved else RUN_LABELS.get(w.status, w.status),
        status_color=COLORS.get(w.status.value, "gray"),
        started=when(w.created_at),
        error=w.error,
        run_url=routes.run_url(project_id, w.run_id),
        active=active,
        unsaved=unsaved,
    )


def run_choice(r: RunSummary) -> RunChoice:
    return RunChoice(
        r.id,
        f"{r.title} · {RUN_LABELS.get(RunStatus(r.status), r.status)} · {when(r.created_at)} · {money(r.cost_usd)}",
    )


def finished_runs(runs: list[RunSummary]) -> list[RunChoice]:
    return [run_choice(r) for r in runs if RunStatus(r.status).finished]


def table_of_contents(safe_html: str) -> list[TocEntry]:
    """The headings (levels 1-3) of a report's rendered HTML, which the renderer gave stable ids."""
    entries = []
    for match in _HEADING.finditer(safe_html):
        text = html.unescape(_TAG.sub("", match.group(3))).strip()
        if text:
            entries.append(TocEntry(int(match.group(1)), text, match.group(2)))
        if len(entries) >= TOC_MAX:
            break
    return entries


def default_period(today: date | None = None) -> tuple[str, str]:
    """The last seven days, today included."""
    end = today or date.today()
    return (end - timedelta(days=6)).isoformat(), end.isoformat()
