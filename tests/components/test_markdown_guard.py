"""Only components/markdown.py may put HTML into the page.

`rx.markdown` turns raw HTML on by default (a note's `<iframe srcdoc><script>` ran in our origin), and
`rx.html` / `dangerouslySetInnerHTML` show whatever string they get. A new page that needs rich text
uses `markdown_view` with HTML from `integrations.markdown.render`; this test fails otherwise.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "nyx_app"
ALLOWED = PACKAGE / "components" / "markdown.py"
SINK_NAMES = {"markdown", "html"}


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def html_sinks(source: str) -> list[str]:
    """What in this module could show unsanitised HTML: reflex's markdown/html, raw innerHTML."""
    found: list[str] = []
    reflex_aliases = {"rx", "reflex"}
    tree = ast.parse(source)
    # Docstrings and bare string statements only talk about a sink (like this module's docstring).
    prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            reflex_aliases |= {a.asname or a.name for a in node.names if a.name.startswith("reflex")}
            found += [f"import {a.name}" for a in node.names if "markdown" in a.name or a.name.endswith(".html")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reflex"):
            module = node.module or ""
            if "markdown" in module or module.endswith(".html"):
                found.append(f"from {module} import ...")
            found += [f"from {module} import {a.name}" for a in node.names if a.name.lower() in SINK_NAMES]
        elif isinstance(node, ast.Attribute) and node.attr.lower() in SINK_NAMES:
            if _root(node) in reflex_aliases:
                found.append(f"{ast.unparse(node)}")
        elif isinstance(node, ast.keyword) and node.arg and "dangerouslysetinnerhtml" in _squash(node.arg):
            found.append(f"{node.arg}=")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            if "dangerouslysetinnerhtml" in _squash(node.value):
                found.append(repr(node.value[:40]))
        elif isinstance(node, ast.Name) and "dangerouslysetinnerhtml" in _squash(node.id):
            found.append(node.id)
    return found


def test_no_module_but_the_markdown_component_puts_html_into_the_page() -> None:
    offenders = {
        str(path.relative_to(PACKAGE.parent)): sinks
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != ALLOWED and (sinks := html_sinks(path.read_text()))
    }
    assert offenders == {}, "use components.markdown.markdown_view with integrations.markdown.render"


@pytest.mark.parametrize(
    "source",
    [
        "import reflex as rx\nrx.markdown(text)",
        "import reflex as rx\nrx.box(rx.html(text))",
        "import reflex\nreflex.markdown(text)",
        "import reflex as r\nr.components.markdown.markdown(text)",
        "from reflex import markdown\nmarkdown(text)",
        "from reflex import html as h",
        "import reflex as rx\nrx.el.div(dangerouslySetInnerHTML={'__html': text})",
        "import reflex as rx\nrx.el.div(**{'dangerouslySetInnerHTML': {'__html': text}})",
        "import reflex as rx\nrx.el.div(dangerously_set_inner_html={'__html': text})",
        "from reflex_components_markdown.markdown import Markdown",
    ],
)
def test_the_guard_sees_each_way_of_writing_a_sink(source: str) -> None:
    assert html_sinks(source)


def test_the_guard_lets_the_safe_component_and_plain_text_through() -> None:
    assert html_sinks((PACKAGE / "components" / "markdown.py").read_text())  # it is the one that may
    source = "import reflex as rx\nfrom nyx_app.components.markdown import markdown_view\nmarkdown_view(html)"
    assert html_sinks(source) == []
    assert html_sinks('"""Never use dangerouslySetInnerHTML or rx.markdown here."""\nimport reflex as rx') == []
    assert html_sinks("import reflex as rx\nrx.text(note.content)") == []
