"""Experience: every use of a persona (a discussion turn, a workflow step) gives 10 XP; every
100 XP is a level (a new persona is level 1); success rate is completed uses over all uses."""

from __future__ import annotations

from dataclasses import dataclass

XP_PER_USE = 10
XP_PER_LEVEL = 100


@dataclass(frozen=True, slots=True)
class Progress:
    level: int
    xp_into_level: int  # 0..99: how far the XP bar is filled
    success_rate: float | None  # None before the first use


def progress(xp: int, uses: int, successes: int) -> Progress:
    xp = max(xp, 0)
    rate = successes / uses if uses > 0 else None
    return Progress(level=xp // XP_PER_LEVEL + 1, xp_into_level=xp % XP_PER_LEVEL, success_rate=rate)
