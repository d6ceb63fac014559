"""Components that the browser redraws only when their data changed.

Reflex sends a changed list var whole and the browser parses it into new objects, so React's own
``memo`` (which compares props by identity) would redraw every row of a list on every update. A
``data_memo`` component compares its props by value instead: they are plain JSON from the server,
so comparing their serialised form is exact, and costs microseconds against the milliseconds a
redraw of a card costs. A run page with forty step cards then redraws the one card that changed.

Its body must not read state vars: a component that reads state redraws on every change of that
state whatever its props, which is what this is for avoiding. Pass what it shows as props.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars import FunctionStringVar, VarData

SAME_DATA = FunctionStringVar.create(
    "((component) => memo(component, (before, after) => JSON.stringify(before) === JSON.stringify(after)))",
    _var_data=VarData(imports={"react": [rx.ImportVar(tag="memo")]}),
)


def data_memo(fn: Callable[..., rx.Component]) -> Any:
    """``rx.memo`` whose component redraws only when its props' data changed."""
    return rx.memo(wrapper=SAME_DATA)(fn)
