"""Spend tables (per provider, per day): stateless, fed with rows the page state prepared."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app.services.llm.spend import SpendRow


@dataclasses.dataclass
class SpendLine:
    key: str
    calls: int
    failed: int
    tokens: str
    cost: str


def spend_lines(rows: list[SpendRow]) -> list[SpendLine]:
    return [
        SpendLine(r.key, r.calls, r.failed, f"{r.tokens_in:,} / {r.tokens_out:,}", f"${r.cost_usd:.4f}") for r in rows
    ]


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
