from decimal import Decimal

from nyx_app.components.spend_table import spend_lines
from nyx_app.services.llm.spend import SpendRow


def test_costs_read_unknown_or_as_amounts_never_as_zero_point_zero() -> None:
    rows = [
        SpendRow("local", 3, 0, 100, 50, Decimal(0)),  # answered, by a model whose price is not set
        SpendRow("anthropic", 1, 0, 10, 1, Decimal("0.00002")),
        SpendRow("openai", 2, 2, 0, 0, Decimal(0)),  # failed before any answer
        SpendRow("gemini", 4, 0, 9000, 3000, Decimal("1.5")),
    ]
    assert [line.cost for line in spend_lines(rows)] == [
        "unknown (price not set)",
        "less than $0.0001",
        "$0",
        "$1.50",
    ]
