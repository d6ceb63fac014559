"""Successes handed to the next step's start, so a chain's step ends and the next one starts in one
round trip instead of two.

A step that succeeds on the short path (``Recorder.success``) is not written at once: when the
scheduler then starts a step that will write its start right away (no set-up to read, nothing to
load), that step takes the success along and both go out in one transaction; otherwise the success
is written as soon as the scheduler has looked for such a step. Either way it is committed before
the next step calls a model, so a crashed run never pays for a finished step twice.

Rules that keep the rows consistent:
- ``settle`` before any other write the scheduler makes: a fan-out's items come from a finished
  step's answer, a review shows one, a skipped step names a failed one.
- A step that took successes along and ends before writing its start (a template problem, a
  cancel) writes them on its way out (``Carried.take`` in its ``finally``).
- ``abandon`` only when the engine itself failed: the answers are logged as spent anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from nyx_app.services.engine.record import Recorder, Success
from nyx_app.services.workflows.definition import StepDef


class Carried:
    """The successes one step takes along to its own start."""

    __slots__ = ("open", "successes")

    def __init__(self) -> None:
        self.successes: list[Success] = []
        self.open = True  # until its step writes its start (or a write needs them sent first)

    def take(self) -> list[Success]:
        self.open = False
        successes, self.successes = self.successes, []
        return successes


class Handover:
    def __init__(self, recorder: Recorder, user_id: Callable[[], uuid.UUID]) -> None:
        self._recorder = recorder
        self._user_id = user_id
        self._unsent: list[Success] = []
        self._carrying: list[Carried] = []
        self._starting: list[tuple[StepDef, Carried]] = []

    def succeeded(self, success: Success) -> None:
        self._unsent.append(success)

    def new_round(self) -> None:
        """The scheduler looks at the graph again: steps started from now on may take successes."""
        self._starting = []

    def starting(self, step: StepDef) -> Carried:
        carried = Carried()
        self._starting.append((step, carried))
        return carried

    async def pass_on(self, starts_at_once: Callable[[StepDef], bool], slot_free: bool) -> None:
        """Give the successes not yet written to the first step started in this round, if it will
        write its start right away: a free slot (the first started takes it) and nothing to read
        or load first. Otherwise write them now."""
        if not self._unsent:
            return
        step, taker = self._starting[0] if self._starting else (None, None)
        if step is None or taker is None or not taker.open or not slot_free or not starts_at_once(step):
            await self.settle()
            return
        taker.successes, self._unsent = self._unsent, []
        self._carrying.append(taker)

    async def settle(self) -> None:
        """Write every success not yet written."""
        await self._recorder.write_successes(self.abandon(), self._user_id())

    def abandon(self) -> list[Success]:
        """Take back every success not yet written, from here and from the steps carrying them
        (``settle`` writes them; when the engine failed they are logged as spent instead)."""
        successes, self._unsent = self._unsent, []
        for carried in self._carrying:
            successes += carried.take()
        self._carrying = []
        return successes
