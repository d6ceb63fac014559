"""The Spend page: a stacked bar chart of cost per day (by provider or by project), the totals of
the period per series, and the same figures as CSV."""

from __future__ import annotations

import reflex as rx

from nyx_app import routes
from nyx_app.components.layout import error_callout, signed_in_page
from nyx_app.components.page import empty_state, page_header, section_card
from nyx_app.pages.spend.state import SeriesRow, SpendState, TotalRow
from nyx_app.services.llm.spend_report import PERIODS

S = SpendState


def _bar(s: SeriesRow) -> rx.Component:
    return rx.recharts.bar(data_key=s.key, name=s.name, stack_id="cost", fill=s.color, is_animation_active=False)


def _chart() -> rx.Component:
    return rx.box(
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
            rx.recharts.x_axis(data_key="day", tick_line=False, min_tick_gap=12),
            rx.recharts.y_axis(unit=" $", width=84, allow_decimals=True),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.foreach(S.series, _bar),
            data=S.chart,
            width="100%",
            height=320,
        ),
        role="img",
        aria_label=rx.Var.create("Cost per day by ") + S.by + " over the last " + S.days + " days",
        width="100%",
        id="spend-chart",
    )


def _total(t: TotalRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(t.name, class_name="spend-series"),
        rx.table.cell(t.calls),
        rx.table.cell(t.failed),
        rx.table.cell(t.tokens),
        rx.table.cell(t.cost, class_name="spend-cost"),
        rx.table.cell(t.share),
        class_name="spend-total",
    )


def _totals() -> rx.Component:
    first = rx.cond(S.by == "project", "Project", "Provider")
    headers = (first, "Attempts", "Failed", "Tokens in / out", "Cost", "Share")
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(S.totals, _total)),
            size="1",
            id="spend-totals",
        ),
        class_name="nyx-scroll-x",
    )


def _controls() -> rx.Component:
    return rx.flex(
        rx.segmented_control.root(
            rx.segmented_control.item("By provider", value="provider"),
            rx.segmented_control.item("By project", value="project"),
            value=S.by,
            on_change=S.set_by,
            aria_label="Group the cost by",
            id="spend-by",
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Period", id="spend-period"),
            rx.select.content(*[rx.select.item(f"Last {d} days", value=str(d)) for d in PERIODS]),
            value=S.days,
            on_change=S.set_days,
        ),
        rx.button(rx.icon("download", size=14), "Export CSV", variant="soft", on_click=S.export_csv, id="spend-csv"),
        gap="3",
        wrap="wrap",
        align="center",
    )


def _body() -> rx.Component:
    return rx.cond(
        S.calls > 0,
        rx.vstack(
            rx.text(
                "Total ",
                rx.text.span(S.total_cost, weight="bold", id="spend-total-cost"),
                " over ",
                S.calls_label,
                " (failed ones included, at what the provider charged).",
                size="2",
            ),
            section_card("Cost per day", _chart()),
            section_card("Totals for the period", _totals()),
            spacing="4",
            width="100%",
        ),
        empty_state(
            "chart-column",
            "Nothing spent in this period",
            "Costs appear here once workflows, discussions or reports call a model.",
            rx.link(rx.button("Set up a provider", variant="soft"), href=routes.PROVIDERS),
            id="spend-empty",
        ),
    )


@signed_in_page
def spend_page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Spend",
            crumbs=[("Projects", routes.DASHBOARD), ("Spend", "")],
            description="What the workspace's LLM calls cost, per day, by provider or by project (UTC days).",
        ),
        error_callout(S.error),
        _controls(),
        rx.cond(S.loaded, _body(), rx.center(rx.spinner(), width="100%", padding="2em")),
        spacing="4",
        width="100%",
    )
