"""Why Start is not possible, shown before the click: each reason in words with a link to its fix
(``services/runs/readiness.py`` finds the reasons; this turns them into rows and draws them)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app import routes
from nyx_app.services.runs.readiness import Blocker, Fix, Readiness


@dataclasses.dataclass
class BlockerRow:
    message: str
    fix_label: str
    fix_url: str


def _fix_url(blocker: Blocker, project_id: str, workflow_id: str) -> str:
    match blocker.fix:
        case Fix.PROVIDERS:
            return routes.PROVIDERS
        case Fix.PROJECT_MODEL:
            return routes.project_url(project_id, tab="settings") + "#project-model-section"
        case Fix.WORKFLOW:
            return routes.workflow_url(project_id, workflow_id) if workflow_id else ""
        case Fix.NOTES:
            return routes.project_url(project_id, tab="notes")
        case Fix.ACTIVE_RUN:
            return routes.run_url(project_id, blocker.run_id) if blocker.run_id else ""
    return ""


def blocker_rows(ready: Readiness, project_id: str, workflow_id: str = "", *, here: Fix = Fix.NONE) -> list[BlockerRow]:
    """``here``: the fix that is this very page (no link to where the user already is)."""
    rows = []
    for b in ready.blockers:
        url = "" if b.fix == here else _fix_url(b, project_id, workflow_id)
        rows.append(BlockerRow(b.message, b.fix_label if url else "", url))
    return rows


def _row(row: BlockerRow) -> rx.Component:
    return rx.text(
        row.message,
        rx.cond(
            row.fix_url != "",
            rx.fragment(
                " ",
                rx.link(
                    row.fix_label,
                    href=row.fix_url,
                    class_name="fix-link",
                    high_contrast=True,
                    weight="medium",
                    underline="always",
                ),
            ),
        ),
        size="2",
        class_name="start-blocker",
    )


def start_blockers(rows: rx.Var[list[BlockerRow]], **props: object) -> rx.Component:
    """Nothing when Start is possible; else every reason, each with its fix."""
    return rx.cond(
        rows.length() > 0,  # type: ignore[attr-defined]
        rx.callout(
            rx.vstack(
                rx.text("Start is not possible yet:", size="2", weight="medium"),
                rx.foreach(rows, _row),
                spacing="1",
            ),
            icon="info",
            color_scheme="amber",
            high_contrast=True,  # amber text on amber is below AA at this size
            size="1",
            width="100%",
            **props,
        ),
    )
