"""User-written computation runs with budgets, in real child processes: hostile templates and
answer checks end in words (time, iterations, memory, output), the child that went past a hard
limit is killed and replaced, and the caller's event loop keeps turning meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

from nyx_app.integrations.limited_pool import LimitedPool, LimitExceeded
from nyx_app.services.workflows import sandbox, templates
from nyx_app.services.workflows.definition import OutputFormat
from nyx_app.services.workflows.schemas import SchemaProblem
from nyx_app.services.workflows.templates import Record, TemplateProblem, step_values

VARS = {
    "steps": Record({"plan": step_values("P" * 1000, [{"title": "One"}]), "other": step_values("O", None)}),
    "project": Record({"name": "Onboarding", "description": "d"}),
    "notes": "word " * 20_000,
    "memory": "M",
}

# The corpus: each froze the web process before (12 s, 8.5 s, forever, 243-296 MB).
HOSTILE = {
    "nested loops": (
        "{% for i in range(16000) %}{% for j in range(16000) %}{% endfor %}{% endfor %}",
        "repeats more than 1,000,000 times",
    ),
    "three nested loops": (
        "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}x{% endfor %}"
        "{% endfor %}{% endfor %}",
        "repeats more than 1,000,000 times|took longer than 2 s",  # whichever comes first
    ),
    "doubly recursive macro": (
        "{% macro m(n) %}{% if n < 60 %}{{ m(n + 1) }}{{ m(n + 1) }}{% endif %}{% endmacro %}{{ m(0) }}",
        "took longer than 2 s",
    ),
    "replace": ('{{ "abc"|replace("", "x" * 1000000) }}', "the text after replace would be longer than"),
    "replace method": ('{{ "abc".replace("", "x" * 1000000) }}', "the text after replace would be longer than"),
    "join": ('{{ range(100000)|join("x" * 100) }}', "the joined text would be longer than"),
    "join method": ('{{ ("x" * 100).join(range(100000)|map("string")) }}', "the joined text would be longer than"),
    "format width": ('{{ "{0:>300000000}".format(1) }}', "a formatted value would be longer than"),
    "format precision": ('{{ "{0:.300000000f}".format(1.5) }}', "a formatted value would be longer than"),
    "nested format width": ('{{ "{0:>{1}}".format(1, 999999999) }}', "numbers that large"),
    "string times": ('{{ "x" * 2000 * 2000 }}', "repeated text that long"),
    "list times": ("{{ ([notes] * 999999)|join }}", "the joined text would be longer than"),
    "doubling by ~": (
        "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}"
        '{{ d("x", 40) }}',
        "more than 512 MB of memory|needed more memory",
    ),
    "list growing in place": ("{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) }}{% endfor %}", "unsafe"),
    "translate": ('{{ "a".translate({97: "x" * 1000000}) }}', "translate() is not available"),
    "recursive loop": (
        "{% for x in [[1]] recursive %}{{ loop(x) }}{% endfor %}",
        "recursive loops are not available",
    ),
    "busy loop": ("{% for i in range(100000) %}{{ notes|wordcount }}{% endfor %}", "took longer than 2 s"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_templates_end_in_words(name: str) -> None:
    source, says = HOSTILE[name]
    assert not templates.is_plain(source)
    with pytest.raises(TemplateProblem) as problem:
        await sandbox.render(source, VARS)
    message = str(problem.value)
    assert any(part in message for part in says.split("|")), message
    assert message.endswith(".") and "Traceback" not in message


async def test_the_event_loop_keeps_turning_while_a_child_is_busy() -> None:
    """A ticker counts turns of this process's loop while hostile renders run next door."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    for name in ("doubly recursive macro", "nested loops"):
        with pytest.raises(TemplateProblem):
            await sandbox.render(HOSTILE[name][0], VARS)
    stop.set()
    await task
    assert ticks > 20  # ~2.2 s of hostile work: the loop was free for far more than 20 turns of 10 ms


async def test_a_killed_child_is_replaced_and_the_next_render_works() -> None:
    with pytest.raises(TemplateProblem, match="took longer than 2 s"):
        await sandbox.render(HOSTILE["busy loop"][0], VARS)
    good = "{% for i in range(3) %}{{ i }}{% endfor %} {{ project.name }} {{ steps.plan.items[0].title }}"
    assert await sandbox.render(good, VARS) == "012 Onboarding One"


async def test_plain_templates_render_here_and_give_the_same_text() -> None:
    plain = "{{ project.name }}: {% if steps.plan.output %}{{ steps.plan.output[:0] }}{{ notes[:4] }}{% endif %}"
    assert not templates.is_plain(plain)  # a slice is an operation: not plain
    plain = "{{ project.name }}: {% if steps.plan.output and not memory %}no{% else %}{{ memory }}{% endif %}"
    assert templates.is_plain(plain)
    assert await sandbox.render(plain, VARS) == templates.render(plain, VARS) == "Onboarding: M"


async def test_only_the_variables_a_template_uses_are_sent() -> None:
    needed = templates.needed_variables("{{ steps.plan.output }}{{ memory }}", VARS)
    assert set(needed) == {"steps", "memory"} and list(needed["steps"]) == ["plan"]
    everything = templates.needed_variables("{% for k in ['plan'] %}{{ steps[k].output }}{% endfor %}", VARS)
    assert list(everything["steps"]) == ["plan", "other"]
    assert await sandbox.render("{% for k in ['plan', 'other'] %}{{ steps[k].output[:1] }}{% endfor %}", VARS) == "PO"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ x|attr('a') }}", "Template error on line 1: No filter named 'attr'."),
        ("{{" + "(" * 3000 + "1" + ")" * 3000 + "}}", "nested too deeply"),
        ("{% if a %}" * 30 + "{% endif %}" * 30, ""),  # deep but fine
        ("{% for a in b %}" * 25 + "{% endfor %}" * 25, "nested too deeply"),
    ],
)
async def test_template_errors_found_on_the_web_process_are_words(source: str, says: str) -> None:
    """references() runs on the web process (the editor checks as the user types)."""
    if not says:
        templates.references(source)
        return
    with pytest.raises(TemplateProblem, match=says):
        templates.references(source)
        await sandbox.render(source, {"b": [], "a": 1})


SCHEMA = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}, "required": ["a"]}


async def test_an_answer_is_checked_against_the_schema_in_the_sandbox() -> None:
    check = sandbox.json_validator(OutputFormat.JSON_OBJECT, SCHEMA)
    assert check is not None
    await check('{"a": "aaaa"}')
    with pytest.raises(ValueError, match=r"^a: 'a+!' does not match '\^\(a\+\)\+\$'$"):
        await check('{"a": "' + "a" * 40 + '!"}')  # 2**40 steps for Python's re; RE2 answers at once
    with pytest.raises(ValueError, match="nested more than 100 levels deep"):
        await check("[" * 5000 + "]" * 5000)
    with pytest.raises(ValueError, match="expected a JSON object"):
        await check("[1]")


async def test_a_schema_nobody_checked_is_refused_before_any_call() -> None:
    with pytest.raises(SchemaProblem, match="may only point inside this schema"):
        sandbox.json_validator(OutputFormat.JSON_OBJECT, {"$ref": "http://127.0.0.1:1/x"})


async def test_a_json_step_without_schema_is_checked_here() -> None:
    check = sandbox.json_validator(OutputFormat.JSON_LIST)
    assert check is not None
    await check("[1, 2]")
    with pytest.raises(ValueError, match="nested more than 100 levels deep"):
        await check("[" * 100_000 + "]" * 100_000)


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


async def test_the_pool_kills_at_its_deadline_and_limits_memory() -> None:
    pool = LimitedPool("test", workers=1, memory_mb=256, preload=[__name__])
    try:
        assert await pool.run(_sleep, 0.01, seconds=5) == "done"
        with pytest.raises(LimitExceeded) as late:
            await pool.run(_sleep, 30, seconds=0.5)
        assert late.value.kind == "time" and str(late.value) == "took longer than 0.5 s"
        with pytest.raises(LimitExceeded) as big:
            await pool.run(_allocate, 1024, seconds=5)
        assert big.value.kind == "memory"
        assert await pool.run(_allocate, 16, seconds=5) == 16 * 1024 * 1024
    finally:
        pool.close()
