"""The one place that puts HTML into the page: Markdown rendered by `integrations.markdown.render`.

Pages keep the *rendered* HTML in state (rendered in the event handler) and show it with
`markdown_view`; raw Markdown never reaches an HTML sink. Code colours come from
`assets/code_highlight.css`; ```mermaid blocks are drawn by the app's diagram script, which every
page loads (nyx_app.py), with the look set here. `tests/components/test_markdown_guard.py`
fails when any other module uses `rx.markdown` (raw HTML on by default), `rx.html` or
`dangerouslySetInnerHTML`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

MARKDOWN_CLASS = "nyx-markdown"

_CODE_FONT = "var(--code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace)"
_BORDER = "1px solid var(--gray-a5)"

# Scoped to the container (emotion's nested selectors); Radix variables follow the light/dark theme.
_STYLE: dict[str, Any] = {
    "line_height": "1.6",
    "font_size": "var(--font-size-3)",
    "color": "var(--gray-12)",
    "overflow_wrap": "anywhere",
    "min_width": "0",
    "& > :first-child": {"margin_top": "0"},
    "& > :last-child": {"margin_bottom": "0"},
    "& p, & ul, & ol, & pre, & blockquote, & table": {"margin": "0 0 0.85em 0"},
    "& h1, & h2, & h3, & h4, & h5, & h6": {
        "font_weight": "600",
        "line_height": "1.25",
        "margin": "1.2em 0 0.5em 0",
        "scroll_margin_top": "4em",
    },
    "& h1": {"font_size": "var(--font-size-7)"},
    "& h2": {"font_size": "var(--font-size-6)", "padding_bottom": "0.2em", "border_bottom": _BORDER},
    "& h3": {"font_size": "var(--font-size-5)"},
    "& h4": {"font_size": "var(--font-size-4)"},
    "& h5, & h6": {"font_size": "var(--font-size-3)"},
    # The app's CSS reset takes list markers away; Markdown lists need them back.
    "& ul, & ol": {"padding_left": "1.6em"},
    "& ul": {"list_style_type": "disc"},
    "& ul ul": {"list_style_type": "circle"},
    "& ol": {"list_style_type": "decimal"},
    "& li::marker": {"color": "var(--gray-10)"},
    "& li + li": {"margin_top": "0.2em"},
    "& a": {"color": "var(--accent-11)", "text_decoration": "underline", "text_underline_offset": "2px"},
    "& a:hover": {"color": "var(--accent-12)"},
    # An outside image, shown as a link (never fetched): say so, without underlining the word.
    "& .md-image-link::before": {
        "content": '"Image:"',
        "display": "inline-block",
        "margin_right": "0.3em",
        "color": "var(--gray-10)",
        "font_size": "0.85em",
    },
    "& strong": {"font_weight": "600"},
    "& hr": {"border": "none", "border_top": _BORDER, "margin": "1.5em 0"},
    "& blockquote": {
        "border_left": "3px solid var(--accent-a7)",
        "background": "var(--gray-a2)",
        "padding": "0.5em 1em",
        "color": "var(--gray-11)",
        "border_radius": "0 var(--radius-2) var(--radius-2) 0",
    },
    "& blockquote > :last-child": {"margin_bottom": "0"},
    "& code": {
        "font_family": _CODE_FONT,
        "font_size": "0.9em",
        "background": "var(--gray-a3)",
        "padding": "0.1em 0.35em",
        "border_radius": "var(--radius-1)",
    },
    "& pre": {
        "background": "var(--gray-a3)",
        "border": _BORDER,
        "border_radius": "var(--radius-3)",
        "padding": "0.8em 1em",
        # Long lines wrap (as on paper) instead of scrolling a box a keyboard cannot reach.
        "white_space": "pre-wrap",
        "overflow_wrap": "anywhere",
        "line_height": "1.45",
    },
    "& pre code": {"background": "none", "padding": "0", "font_size": "0.85em"},
    # A wide table scrolls inside the card instead of stretching the page.
    "& table": {"display": "block", "max_width": "100%", "overflow_x": "auto", "border_collapse": "collapse"},
    # Cells wrap between words only ("succeed/ed" and "$0.0/0" were cut mid-word): a table wider
    # than its card scrolls (above) rather than breaking words.
    "& th, & td": {
        "border": _BORDER,
        "padding": "0.4em 0.75em",
        "vertical_align": "top",
        "overflow_wrap": "normal",
        "word_break": "normal",
    },
    "& th": {"background": "var(--gray-a3)", "font_weight": "600", "text_align": "left"},
    "& tbody tr:nth-child(even)": {"background": "var(--gray-a2)"},
    "& img": {"max_width": "100%", "height": "auto", "border_radius": "var(--radius-2)"},
    # Diagrams drawn by the app's diagram script (api/assets/diagrams.js) in place of their code:
    # on white paper in either theme (Mermaid's neutral theme), scrolling sideways when wide.
    "& figure.nyx-diagram": {
        "margin": "0 0 0.85em 0",
        "padding": "0.8em",
        "background": "white",
        "border": _BORDER,
        "border_radius": "var(--radius-3)",
        "overflow_x": "auto",
        "text_align": "center",
    },
    "& figure.nyx-diagram svg": {"display": "block", "margin": "0 auto", "max_width": "100%", "height": "auto"},
    "& .nyx-diagram-note": {"font_size": "var(--font-size-1)", "color": "#57606a", "margin_top": "0.4em"},
    "& .nyx-diagram-error": {"font_size": "var(--font-size-1)", "color": "var(--amber-11)", "margin_top": "-0.5em"},
}


def markdown_view(html: rx.Var[str] | str, class_name: str = "", **props: Any) -> rx.Component:
    """Show HTML from `integrations.markdown.render` (already sanitised on the server)."""
    style = {**_STYLE, **props.pop("style", {})}
    return rx.html(html, class_name=f"{MARKDOWN_CLASS} {class_name}".strip(), style=style, width="100%", **props)
