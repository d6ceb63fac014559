"""Hostile Mermaid a member or a model could write, shared by the diagram rules' tests, the PDF
tests and the browser tests. Every payload that could run script tries to set ``window.__pwned``;
every one that could fetch or navigate aims at ``{trap}``, a loopback listener the test starts
(``diagrams(trap)`` fills it in), so a request would show there.
"""

from __future__ import annotations

PWN = "window.__pwned=1"

# The rules' own promise: labels are text, exactly as written.
LABELS_AS_TEXT: dict[str, str] = {
    "flowchart node": 'graph TD\n  A[a > b] --> B["<b>bold</b> and x > y"]',
    "flowchart edge and decision": "graph LR\n  A -->|p > q| B{score > 0.8?}\n  B -- m > n --> C(<b>c</b>)",
    "C4 person": 'C4Context\n  Person(p, "a > b", "<b>bold</b>")',
    "block": 'block-beta\n  a["a > b"] b["<b>bold</b>"]',
    "sequence": "sequenceDiagram\n  A->>B: a > b and <b>bold</b>",
    "class relation": "classDiagram\n  A --> B : a > b <b>bold</b>",
}

_HOSTILE: dict[str, str] = {
    "html label image": 'graph TD\n  A["<img src={trap}/label.png onerror=' + PWN + '>"] --> B',
    "html label iframe": 'graph TD\n  A["<iframe src={trap}/frame></iframe>"] --> B["<script>' + PWN + '</script>"]',
    "init directive turns html labels on": (
        '%%{{init: {{"securityLevel": "loose", "htmlLabels": true, "flowchart": {{"htmlLabels": true}}}}}}%%\n'
        'graph TD\n  A["<img src={trap}/init.png onerror=' + PWN + '>"] --> B'
    ),
    "directive rebuilt from halves": (
        '%%%%{{x}}%%{{init: {{"securityLevel": "loose", "flowchart": {{"htmlLabels": true}}}}}}%%\n'
        'graph TD\n  A["<img src={trap}/halves.png>"] --> B'
    ),
    "front matter config": (
        "---\nconfig:\n  securityLevel: loose\n  htmlLabels: true\n  flowchart:\n    htmlLabels: true\n---\n"
        'graph TD\n  A["<img src={trap}/frontmatter.png>"] --> B'
    ),
    "themeCSS import": (
        '%%{{init: {{"themeCSS": "@import url({trap}/theme.css); .node rect {{ fill: url({trap}/fill.png) }}"}}}}%%\n'
        "graph TD\n  A --> B"
    ),
    "click href": 'graph TD\n  A[Click me] --> B\n  click A href "{trap}/click" "tip"',
    "click call": "graph TD\n  A[Call me] --> B\n  click A call alert(1)\n  click B callback",
    "click after a semicolon": 'graph TD\n  A[Me] --> B; click A "{trap}/semicolon"',
    "javascript href": 'graph TD\n  A[Js] --> B\n  click A href "javascript:' + PWN + '"',
    "class diagram links": (
        'classDiagram\n  class Duck\n  class Egg\n  link Duck "{trap}/link"\n  click Egg href "{trap}/egg"\n'
        '  callback Duck "alert"'
    ),
    "gantt click": (
        'gantt\n  dateFormat YYYY-MM-DD\n  section S\n  Task :t1, 2024-01-01, 3d\n  click t1 href "{trap}/gantt"'
    ),
    "sequence actor links": (
        "sequenceDiagram\n  participant A\n  A->>A: hi\n"
        '  link A: Docs @ {trap}/actor\n  links A: {{"Repo": "{trap}/repo"}}'
    ),
    "C4 link": 'C4Context\n  Person(p, "Person", "Someone", $link="{trap}/c4")',
    "C4 style": 'C4Context\n  Person(p, "Person")\n  UpdateElementStyle(p, $bgColor="url({trap}/c4bg.png)")',
    "style url": "graph TD\n  A --> B\n  style A fill:url({trap}/style.png),stroke:#333",
    "style escaped url": "graph TD\n  A --> B\n  style B fill:u\\72l({trap}/escaped.png)",
    "classDef breakout": (
        "graph TD\n  A:::x --> B\n"
        "  classDef x fill:red}} body {{ background: url({trap}/breakout.png) }} .y {{ fill:blue"
    ),
    "classDef sideways": (
        "graph TD\n  A:::x --> B\n"
        "  classDef x fill:red}} #nyx-diagram-1 ~ *, #nyx-1 + * {{ display:none }} .y {{ fill:blue"
    ),
    "image shape": 'graph TD\n  A@{{ img: "{trap}/shape.png", label: "pic", pos: "t", w: 60, h: 60 }}\n  A --> B',
    "image shape over lines": 'flowchart TD\n  A@{{\n    img: "{trap}/lines.png"\n    label: "pic"\n  }}\n  A --> B',
    "markdown label image": 'graph TD\n  A["`![x]({trap}/md.png) **bold**`"] --> B',
    "font awesome icon": "graph TD\n  A[fa:fa-ban forbidden] --> B",
    "mindmap icon": "mindmap\n  root((Root))\n    Child\n    ::icon(fa fa-book)",
    "kanban ticket": "kanban\n  Todo\n    t1[Write tests]@{{ ticket: MC-1 }}",
    "journey html": "journey\n  title <img src={trap}/journey.png>\n  section <b>S</b>\n    Task <b>x</b>: 5: Me",
    "unparseable": "graph TD\n  A[Start] --> B[",
    "not a diagram": "this is not mermaid at all <img src={trap}/nodiagram.png>",
}


def diagrams(trap: str) -> dict[str, str]:
    """The hostile corpus aimed at ``trap`` (a URL such as ``http://127.0.0.1:PORT``)."""
    return {name: source.format(trap=trap) for name, source in _HOSTILE.items()}


# What a drawn diagram may contain, written here independently of the rules under test.
SVG_ELEMENTS = frozenset(
    {
        *("svg", "g", "defs", "style", "title", "desc", "symbol", "use", "marker", "clippath", "mask"),
        *("pattern", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan"),
        *("textpath", "lineargradient", "radialgradient", "stop", "filter", "fedropshadow", "fegaussianblur"),
        *("feoffset", "feflood", "fecomposite", "femerge", "femergenode", "feblend", "fecolormatrix"),
        "femorphology",
    }
)
