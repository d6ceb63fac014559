"""Prompt templates are written by users: the sandbox keeps them away from Python internals and
from making the server allocate or loop without bound; mistakes come back in words."""

from __future__ import annotations

import pytest

from nyx_app.services.workflows import templates
from nyx_app.services.workflows.templates import Record, TemplateProblem, render, step_values, wrap

STEPS = Record(
    {"points": step_values('[{"title": "One"}]', [{"title": "One", "items": 3}]), "plan": step_values("P", None)}
)
VARS = {"steps": STEPS, "project": {"name": "Onboarding", "description": "d"}, "notes": "N", "memory": "M"}


def test_variables_render_as_a_user_expects() -> None:
    source = (
        "{{project.name}}: {{notes}}/{{memory}} {{steps.plan.output}} "
        "{% for p in steps.points.items %}[{{loop.index}} {{p.title}} {{p.items}}]{% endfor %} "
        "{{ item.title }} #{{ item_index }}"
    )
    assert (
        render(source, {**VARS, "item": wrap({"title": "AP"}), "item_index": 2}) == "Onboarding: N/M P [1 One 3] AP #2"
    )


def test_json_values_print_as_json() -> None:
    assert render("{{ steps.points.data }}", VARS).startswith('[\n  {\n    "title": "One"')
    assert render("{{ steps.points.items|tojson }}", VARS) == render("{{ steps.points.data }}", VARS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ project.__class__ }}",
        "{{ steps._data }}",
        "{{ steps.points.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__ }}",
        "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ self.__init__.__globals__ }}",
        "{{ 'a' * 100000000 }}",
        "{{ [1] * 100000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ '%99999999d' % 1 }}",
        "{{ 'x'.ljust(999999999) }}",
        "{{ 'x'|center(999999999) }}",
        "{% for i in range(99999) %}{{ notes }}{% endfor %}" * 30,
    ],
)
def test_the_sandbox_refuses_internals_and_unbounded_work(source: str) -> None:
    with pytest.raises(TemplateProblem) as refused:
        render(source, {**VARS, "notes": "n" * 1000})
    assert refused.value.args[0].endswith(".") and "Traceback" not in refused.value.args[0]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ nope }}", "The template uses something that does not exist: 'nope' is undefined."),
        ("{{ steps.gone.output }}", "The template uses something that does not exist: this value has no field 'gone'."),
        ("{{ project.name", "Template error on line 1: unexpected end of template, expected 'end of print statement'."),
        ("{{ x|nofilter }}", "Template error on line 1: No filter named 'nofilter'."),
    ],
)
def test_mistakes_are_explained_in_words(source: str, message: str) -> None:
    with pytest.raises(TemplateProblem, match="^" + __import__("re").escape(message) + "$"):
        render(source, VARS)


def test_references_find_every_step_field_and_name() -> None:
    refs = templates.references("{{steps.a.output}} {{ steps['b'].items }} {{steps.c}} {{notes}} {{ steps }}")
    assert set(refs.steps) == {("a", "output"), ("b", "items"), ("c", ""), ("", "")}
    assert refs.names == {"steps", "notes"}


def test_tags_are_bounded_before_parsing_and_raw_text_is_not_counted() -> None:
    """Parsing, checking and compiling cost time per tag, on the web process when the editor checks."""
    with pytest.raises(TemplateProblem, match=r"^Template error: it has 2,001 tags .* at most 2,000 are allowed"):
        templates.references("{{ notes }}" * 2_001)
    for text in ("x{%" * 5_000, "a{%- endraw -%}b{% endraw %}", "{{ x }} {# c #} {% raw %} {% if %}", "ends {"):
        escaped = templates.literal(text)
        assert render(escaped, {}) == text
        assert templates.count_tags(escaped) <= 12  # user text full of {% costs two tags, not three each
