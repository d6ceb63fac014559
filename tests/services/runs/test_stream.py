"""The run event stream's arithmetic: event ids are positions, so any id resumes exactly."""

from __future__ import annotations

import uuid

from nyx_app.models.run import NO_ITEM, Run, RunStatus, StepStatus
from nyx_app.services.runs import stream
from nyx_app.services.runs.stream import RowNow, RunNow, Vector

ROWS = {key: uuid.uuid4() for key in ("a", "b", "b0", "b1")}


def state(run: RunStatus, **rows: tuple[StepStatus, str]) -> tuple[RunNow, dict[uuid.UUID, str]]:
    """A run of steps a and b (b fans out into items b0, b1); each row's status and output."""
    found, outputs = {}, {}
    for name, (status, output) in rows.items():
        key, index = ("b", int(name[1])) if name in ("b0", "b1") else (name, NO_ITEM)
        found[(key, index)] = RowNow(ROWS[name], key, index, name, status, len(output), 0, "")
        outputs[ROWS[name]] = output
    return RunNow(
        Run(tenant_id=uuid.uuid4(), project_id=uuid.uuid4(), title="t", status=run.value), ["a", "b"], found
    ), outputs


def advance(seen: Vector, now: RunNow, outputs: dict[uuid.UUID, str]) -> list[stream.StreamEvent]:
    wanted = stream.growth(seen, now)
    return list(stream.events(seen, now, {row: outputs[row][offset:] for row, offset in wanted.items()}))


HISTORY = [
    state(RunStatus.RUNNING, a=(StepStatus.RUNNING, "Hel"), b=(StepStatus.QUEUED, "")),
    state(RunStatus.RUNNING, a=(StepStatus.RUNNING, "Hello wor"), b=(StepStatus.QUEUED, "")),
    state(
        RunStatus.RUNNING,
        a=(StepStatus.SUCCEEDED, "Hello world"),
        b=(StepStatus.RUNNING, ""),
        b0=(StepStatus.RUNNING, ""),
        b1=(StepStatus.QUEUED, ""),
    ),
    state(
        RunStatus.SUCCEEDED,
        a=(StepStatus.SUCCEEDED, "Hello world"),
        b=(StepStatus.SUCCEEDED, "both"),
        b0=(StepStatus.SUCCEEDED, "x"),
        b1=(StepStatus.SUCCEEDED, "y"),
    ),
]


def follow(history: list[tuple[RunNow, dict[uuid.UUID, str]]], seen: Vector | None = None) -> list[stream.StreamEvent]:
    seen = seen or stream.start_vector(history[0][0])
    return [e for now, outputs in history for e in advance(seen, now, outputs)]


def test_ids_encode_the_position_and_decode_back() -> None:
    seen = stream.start_vector(HISTORY[0][0])
    for now, outputs in HISTORY:
        for event in advance(seen, now, outputs):
            decoded = Vector.decode(event.id, 2)
            assert decoded is not None and decoded.encode() == event.id
    assert Vector.decode("v1~s~garbage,,", 2) is None
    assert Vector.decode("v2~s~", 2) is None
    assert Vector.decode(seen.encode(), 3) is None  # another run's shape


def test_resuming_from_any_event_gives_the_rest_once() -> None:
    whole = follow(HISTORY)
    assert whole[-1].type == "run.finished"
    text = "".join(e.data["text"] for e in whole if e.type == "step.output" and e.data["step"] == "a")
    assert text == "Hello world"
    for cut in range(len(whole)):
        first = whole[: cut + 1]
        resumed_at = Vector.decode(first[-1].id, 2)
        assert resumed_at is not None
        rest = advance(resumed_at, *HISTORY[-1])
        kinds = [
            (e.type, e.data.get("step"), e.data.get("item_index")) for e in first + rest if e.type != "step.output"
        ]
        assert len(kinds) == len(set(kinds)), f"a status event twice when resuming after event {cut}"
        outputs = {}
        for e in first + rest:
            if e.type == "step.output":
                key = (e.data["step"], e.data["item_index"])
                assert e.data["offset"] == len(outputs.get(key, ""))
                outputs[key] = outputs.get(key, "") + e.data["text"]
        assert outputs == {("a", None): "Hello world", ("b", None): "both", ("b", 0): "x", ("b", 1): "y"}
        assert (first + rest)[-1].type == "run.finished"
        assert rest or cut == len(whole) - 1  # only a client that saw the end gets nothing more


def test_a_step_queued_again_is_announced_again() -> None:
    failed = state(RunStatus.FAILED, a=(StepStatus.FAILED, ""), b=(StepStatus.SKIPPED, ""))
    retried = state(RunStatus.RUNNING, a=(StepStatus.RUNNING, "again"), b=(StepStatus.QUEUED, ""))
    events = follow([failed, retried])
    types = [(e.type, e.data.get("step")) for e in events]
    assert ("step.failed", "a") in types and types.count(("step.started", "a")) == 2
    assert ("step.queued", "b") in types[types.index(("step.skipped", "b")) :]
