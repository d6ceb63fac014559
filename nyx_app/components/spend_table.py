"""Spend tables (per provider, per day): stateless, fed with rows the page state prepared."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app.services.llm.spend import SpendRow, usd


@dataclasses.dataclass
class SpendLine:
    key: str
    calls: int
    failed: int
    tokens: str
    cost: str


def spend_lines(rows: list[SpendRow]) -> list[SpendLine]:
    return [SpendLine(r.key, r.calls, r.failed, f"{r.tokens_in:,} / {r.tokens_out:,}", _cost(r)) for r in rows]


def _cost(row: SpendRow) -> str:
    """Tokens that cost nothing came from a model whose price is unknown: never "$0.0000"."""
    if not row.cost_usd and (row.tokens_in or row.tokens_out):
        return "unknown (price not set)"
    return usd(row.cost_usd)


def spend_table(title: str, rows: rx.Var[list[SpendLine]], first: str, id: str) -> rx.Component:
    headers = (first, "Attempts", "Failed", "Tokens in / out", "Cost")
    return rx.vstack(
        rx.heading(title, size="3"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda r: rx.table.row(*[rx.table.cell(v) for v in (r.key, r.calls, r.failed, r.tokens, r.cost)]),
                )
            ),
            size="1",
            id=id,
        ),
    )
