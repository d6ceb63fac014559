"""State of the Trash page: the items (display strings only), restore, delete for good, empty."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nyx_app.models.trash import TrashKind
from nyx_app.pages.run_rows import when
from nyx_app.services import trash
from nyx_app.services.permissions import Action, role_may
from nyx_app.services.trash import TrashView
from nyx_app.state import toasts
from nyx_app.state.session import AuthState, user_action
from nyx_app.state.trash import restored_url

ICONS = {
    TrashKind.NOTE: "notebook-pen",
    TrashKind.MEMORY: "brain",
    TrashKind.IMAGE: "image",
    TrashKind.WORKFLOW: "workflow",
    TrashKind.REPORT: "file-text",
}


@dataclasses.dataclass
class TrashRow:
    id: str
    kind: str
    icon: str
    title: str
    where: str
    deleted: str
    purge: str


def trash_row(v: TrashView) -> TrashRow:
    return TrashRow(
        v.id,
        trash.KIND_LABELS[v.kind],
        ICONS[v.kind],
        v.title,
        v.where,
        f"deleted by {v.deleted_by} on {when(v.deleted_at)}",
        f"removed for good on {v.purge_at:%Y-%m-%d}",
    )


class TrashState(AuthState):
    loaded: bool = False
    rows: list[TrashRow] = []

    @rx.var
    def may_empty(self) -> bool:
        return role_may(self.role, Action.TRASH_EMPTY)

    async def _reload(self) -> None:
        self.rows = [trash_row(v) for v in await self._in_tenant(trash.list_trash)]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        await self._reload()

    @rx.event
    @user_action
    async def restore(self, item_id: str):
        item = await self._in_tenant(lambda s, c: trash.restore(s, c, item_id))
        await self._reload()
        kind = TrashKind(item.kind)
        url = restored_url(kind, str(item.item_id), str(item.project_id), str(item.parent_id))
        return toasts.done(
            f"{trash.KIND_LABELS[kind]} restored", action={"label": "Open", "on_click": rx.redirect(url)}
        )

    @rx.event
    @user_action
    async def delete_forever(self, item_id: str):
        await self._in_tenant(lambda s, c: trash.delete_forever(s, c, item_id))
        await self._reload()
        return toasts.done("Deleted for good")

    @rx.event
    @user_action
    async def empty(self):
        removed = await self._in_tenant(trash.empty)
        await self._reload()
        return toasts.done(f"Trash emptied ({removed} item{'s' if removed != 1 else ''} deleted for good)")
