"""The page that compares two runs step by step: each step's answers side by side (their boxes
scroll together), a line diff where they differ, model, status and cost per run, and what the
later run cost more or less. Answers are model output: rendered by the one Markdown renderer; the
diff is plain text."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.layout import signed_in_page
from nyx_app.components.markdown import markdown_view
from nyx_app.components.page import not_found_view, page_header
from nyx_app.pages.runs.compare_state import CompareState, DiffLine, PairRow, SideRow

S = CompareState

# The two answers of a step scroll together (one listener for the page, in the capture phase:
# scroll events do not bubble).
SYNC_SCROLL_JS = """(() => {
  if (window.nyxSyncScroll) return;
  window.nyxSyncScroll = true;
  let busy = false;
  document.addEventListener('scroll', (e) => {
    const box = e.target;
    if (busy || !(box instanceof HTMLElement) || !box.dataset.pair) return;
    const other = [...document.querySelectorAll(`[data-pair="${box.dataset.pair}"]`)].find((b) => b !== box);
    if (!other) return;
    const range = box.scrollHeight - box.clientHeight;
    busy = true;
    other.scrollTop = range > 0 ? (box.scrollTop / range) * (other.scrollHeight - other.clientHeight) : 0;
    requestAnimationFrame(() => { busy = false; });
  }, true);
})()"""


def _side(side: SideRow, key: str, which: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.cond(
                side.status != "",
                rx.badge(side.status, color_scheme=side.color, variant="soft", class_name=f"status-{which}"),  # type: ignore[arg-type]
            ),
            rx.cond(side.model != "", rx.code(side.model, size="1")),
            rx.cond(side.cost != "", rx.text(side.cost, size="1", class_name=f"cost-{which}")),
            spacing="2",
            flex_wrap="wrap",
        ),
        rx.cond(side.note != "", rx.text(side.note, size="1", color_scheme="gray", class_name=f"note-{which}")),
        rx.box(
            markdown_view(side.html),
            class_name=f"compare-out compare-{which}",
            custom_attrs={"data-pair": key},
            max_height="24em",
            overflow_y="auto",
            tab_index=0,
            padding="0.6em",
            border_radius="var(--radius-2)",
            background="var(--gray-a2)",
            width="100%",
        ),
        spacing="2",
        width="100%",
        min_width="0",
    )


def _diff_line(line: DiffLine) -> rx.Component:
    return rx.el.div(
        rx.el.span(line.kind, " "),
        line.text,
        class_name=rx.match(line.kind, ("+", "diff-add"), ("-", "diff-del"), "diff-same"),
        style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"},
        background=rx.match(line.kind, ("+", "var(--green-a3)"), ("-", "var(--red-a3)"), "transparent"),
    )


def _pair(p: PairRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(p.name, size="3"),
                rx.code(p.key, size="1"),
                rx.cond(p.same, rx.badge("same answer", variant="outline", color_scheme="gray")),
                spacing="2",
                align="center",
            ),
            rx.grid(
                _side(p.a, p.key, "a"),
                _side(p.b, p.key, "b"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                p.diff.length() > 0,  # type: ignore[attr-defined]
                rx.el.details(
                    rx.el.summary("Differences, line by line"),
                    rx.box(rx.foreach(p.diff, _diff_line), font_family="var(--code-font-family)", font_size="0.85em"),
                    class_name="compare-diff",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id=f"pair-{p.key}",
        class_name="compare-pair",
        width="100%",
    )


def _loaded() -> rx.Component:
    return rx.vstack(
        page_header(
            rx.text("Compare runs: ", S.title),
            crumbs=[("Projects", routes.DASHBOARD), ("Runs", S.project_url), ("Compare", "")],
            id="compare-title",
        ),
        rx.grid(
            rx.vstack(rx.link(S.a_label, href=S.a_url, id="compare-a-link"), rx.text("cost ", S.a_cost, size="2")),
            rx.vstack(rx.link(S.b_label, href=S.b_url, id="compare-b-link"), rx.text("cost ", S.b_cost, size="2")),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.callout(
            rx.text("The later run cost ", rx.text.strong(S.cost_difference, id="cost-difference"), "."),
            icon="scale",
            size="1",
        ),
        rx.foreach(S.pairs, _pair),
        spacing="3",
        width="100%",
    )


@signed_in_page(section="projects")
def compare_page() -> rx.Component:
    return rx.cond(
        S.found,
        rx.cond(S.loaded, rx.fragment(_loaded(), rx.script(SYNC_SCROLL_JS)), rx.spinner()),
        not_found_view("Runs not found", "They do not exist, or are not in your current workspace."),
    )
