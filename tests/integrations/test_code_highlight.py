"""Server-side code colours: class names from Pygments within a budget, and the stylesheet that
gives them colour in both themes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nyx_app.integrations import code_highlight
from nyx_app.integrations.code_highlight import Budget, contrast, highlight_code
from nyx_app.settings import ROOT_DIR

STYLESHEET = ROOT_DIR / "assets" / "code_highlight.css"


def test_the_stylesheet_in_assets_is_the_one_the_pinned_pygments_writes() -> None:
    assert Path(STYLESHEET).read_text() == code_highlight.stylesheet(), (
        "run: python -m nyx_app.integrations.code_highlight > assets/code_highlight.css"
    )


def test_every_colour_reads_at_aa_contrast_in_its_theme() -> None:
    css = code_highlight.stylesheet()
    for line in css.splitlines():
        colour = re.search(r"color: (#[0-9a-f]{6})", line)
        if colour is None:
            continue
        background = code_highlight.DARK_BACKGROUND if line.startswith(".dark") else code_highlight.LIGHT_BACKGROUND
        assert contrast(colour.group(1), background) >= 4.5, line
    assert "url(" not in css and "@import" not in css


def test_every_light_rule_has_a_dark_one_above_it() -> None:
    css = code_highlight.stylesheet()
    light = set(re.findall(r"^\.nyx-markdown (\.tok-\w+) ", css, re.MULTILINE))
    dark = set(re.findall(r"^\.dark \.nyx-markdown (\.tok-\w+) ", css, re.MULTILINE))
    assert light and light == dark


def test_a_named_language_is_coloured_and_an_unknown_one_is_not() -> None:
    assert highlight_code("SELECT 1;", "sql", Budget()) is not None
    assert highlight_code("SELECT 1;", "SQL", Budget()) is not None
    assert highlight_code("x", "", Budget()) is None
    assert highlight_code("x", "not-a-language", Budget()) is None
    assert highlight_code("x", "brainfuck", Budget()) is None  # a lexer, but not in LANGUAGES


def test_a_spent_budget_leaves_the_rest_plain() -> None:
    budget = Budget(seconds=0.0)
    assert highlight_code("def f(): pass\n" * 200, "python", budget) is None
    budget = Budget(seconds=5.0)
    assert highlight_code("def f(): pass\n", "python", budget) is not None
    assert 0 < budget.left < 5.0  # what the block used is gone from the document's budget


@pytest.mark.parametrize("language", sorted(code_highlight.LANGUAGES))
def test_every_allowed_name_resolves_to_a_lexer(language: str) -> None:
    assert highlight_code("x = 1\n", language, Budget()) is not None


@pytest.mark.parametrize("language", ["c", "cpp", "c++", "ini", "pycon"])
def test_languages_whose_lexers_can_run_away_stay_plain(language: str) -> None:
    """One regular-expression step of these lexers ran for seconds on hostile input (bench)."""
    assert highlight_code("{[" * 10 + "]}" * 10 + "\n", language, Budget()) is None
