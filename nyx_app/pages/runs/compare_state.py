"""State of the page that compares two runs step by step: rows of display strings only."""

from __future__ import annotations

import dataclasses
import difflib

import reflex as rx

from nyx_app import routes
from nyx_app.pages.run_rows import COLORS, when
from nyx_app.pages.runs.outputs import html
from nyx_app.services.errors import NotFound
from nyx_app.services.reports.text import money
from nyx_app.services.runs import compare
from nyx_app.state.session import AuthState, user_action

DIFF_LINES_MAX = 400


@dataclasses.dataclass
class DiffLine:
    kind: str  # "+" (only in the later run), "-" (only in the earlier), " " (both)
    text: str


@dataclasses.dataclass
class SideRow:
    status: str
    color: str
    model: str
    cost: str
    html: str  # rendered by the one Markdown renderer
    note: str  # "reused from the earlier run", "not in this run"


@dataclasses.dataclass
class PairRow:
    key: str
    name: str
    a: SideRow
    b: SideRow
    same: bool
    diff: list[DiffLine]


def diff_lines(before: str, after: str) -> list[DiffLine]:
    """A line diff of two answers (previews), for the page to show as plain text."""
    lines = [
        DiffLine(line[0], line[2:])
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:1] in "+- "
    ]
    return lines[:DIFF_LINES_MAX]


def side_row(side: compare.Side) -> SideRow:
    if not side.status:
        return SideRow("", "gray", "", "", "", "Not in this run.")
    note = "Reused from the earlier run: not asked again, no cost." if side.reused else ""
    return SideRow(
        side.status, COLORS.get(side.status, "gray"), side.model, money(side.cost_usd), html(side.preview), note
    )


def pair_row(pair: compare.StepPair) -> PairRow:
    same = pair.same_output
    return PairRow(
        pair.key,
        pair.name,
        side_row(pair.a),
        side_row(pair.b),
        same,
        [] if same else diff_lines(pair.a.preview, pair.b.preview),
    )


def difference(amount_a, amount_b) -> str:  # type: ignore[no-untyped-def]
    delta = amount_b - amount_a
    if delta == 0:
        return "the same cost"
    return f"{money(abs(delta))} {'more' if delta > 0 else 'less'}"


class CompareState(AuthState):
    loaded: bool = False
    found: bool = True
    title: str = ""
    a_url: str = ""
    b_url: str = ""
    a_label: str = ""
    b_label: str = ""
    a_cost: str = ""
    b_cost: str = ""
    cost_difference: str = ""
    project_url: str = ""
    pairs: list[PairRow] = []

    @rx.event
    @user_action
    async def load(self):
        project_id = self.project_id  # type: ignore[attr-defined]  # route args
        run_a, run_b = self.run_id, self.other_run_id  # type: ignore[attr-defined]
        self.loaded = False
        try:
            found = await self._in_tenant(lambda s, c: compare.compare_runs(s, c, run_a, run_b))
            if found.project_id != project_id:
                raise NotFound("Run not found.")
        except NotFound:
            self.found, self.loaded = False, True
            return
        self.title = found.b.title
        self.a_url, self.b_url = routes.run_url(project_id, found.a.id), routes.run_url(project_id, found.b.id)
        self.a_label = f"Earlier run · {when(found.a.created_at)} · {found.a.status}"
        self.b_label = f"Later run · {when(found.b.created_at)} · {found.b.status}" + (
            f" · re-run from “{found.b.rerun_from}”" if found.b.rerun_from else ""
        )
        self.a_cost, self.b_cost = money(found.a.cost_usd), money(found.b.cost_usd)
        self.cost_difference = difference(found.a.cost_usd, found.b.cost_usd)
        self.project_url = routes.project_url(project_id, tab="runs")
        self.pairs = [pair_row(p) for p in found.steps]
        self.found, self.loaded = True, True
