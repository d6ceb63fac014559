"""Deleting into the trash, said the same way on every page: a toast that offers Undo.

``moved(item)`` is what a delete handler returns; its Undo button restores the item
(``services/trash.py``) and opens the page where it lives again, so the list shows it (a query
string makes the address new, so the page reads itself again even when it is the current one).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from nyx_app import routes
from nyx_app.models.trash import TrashItem, TrashKind
from nyx_app.services import trash
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action

UNDO_MS = 10_000  # long enough to notice and reach the button


def restored_url(kind: TrashKind, item_id: str, project_id: str, parent_id: str) -> str:
    """Where a restored item shows again."""
    match kind:
        case TrashKind.NOTE:
            return routes.note_url(project_id, item_id)
        case TrashKind.IMAGE:
            return routes.note_url(project_id, parent_id)
        case TrashKind.MEMORY:
            return routes.MEMORY
        case TrashKind.WORKFLOW:
            return routes.project_url(project_id, tab="workflows")
        case TrashKind.REPORT:
            return routes.report_url(project_id, item_id)
    return routes.TRASH


class TrashUndoState(AuthState):
    @rx.event
    @user_action
    async def undo(self, item_id: str):
        item = await self._in_tenant(lambda s, c: trash.restore(s, c, item_id))
        url = restored_url(TrashKind(item.kind), str(item.item_id), str(item.project_id), str(item.parent_id))
        sep = "&" if "?" in url else "?"
        label = trash.KIND_LABELS[TrashKind(item.kind)]
        return [toasts.done(f"{label} restored"), rx.redirect(f"{url}{sep}restored={item.id}")]


def moved(item: TrashItem) -> Any:
    """The toast after a delete: what went, where to, and Undo."""
    label = trash.KIND_LABELS[TrashKind(item.kind)]
    return rx.toast.success(
        f"{label} moved to the trash",
        description="Kept for 30 days in Trash.",
        duration=UNDO_MS,
        action={"label": "Undo", "on_click": TrashUndoState.undo(str(item.id))},
    )
