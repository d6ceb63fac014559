"""State of the audit log page: the filter, one page of rows at a time, and the export links."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlencode

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.models.audit import AuditEvent
from nyx_app.services.audit import AuditAction
from nyx_app.services.audit import log as audit_log
from nyx_app.services.context import TenantContext
from nyx_app.state.session import AuthState, user_action

PAGE = 50
ANYONE = "anyone"
ANY_ACTION = "any"


@dataclasses.dataclass
class AuditRow:
    id: str
    when: str
    action: str
    action_label: str
    actor: str
    target: str
    target_type: str
    where: str
    via: str
    details: str


@dataclasses.dataclass
class Choice:
    value: str
    label: str


ACTIONS = [Choice(ANY_ACTION, "Any action"), *[Choice(a.value, a.label) for a in AuditAction]]


def _row(e: AuditEvent) -> AuditRow:
    try:
        label = AuditAction(e.action).label
    except ValueError:
        label = e.action
    where = " · ".join(p for p in (e.address, e.device) if p)
    target = e.object_label or e.object_id
    details = json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else ""
    return AuditRow(
        str(e.id),
        f"{e.created_at:%Y-%m-%d %H:%M:%S} UTC",
        e.action,
        label,
        e.actor_label or "nobody signed in",
        target,
        e.object_type.replace("_", " "),
        where,
        e.via,
        details[:300],
    )


class AuditState(AuthState):
    rows: list[AuditRow] = []
    actors: list[Choice] = []
    actor: str = ANYONE
    action: str = ANY_ACTION
    since: str = ""
    until: str = ""
    has_more: bool = False
    loaded: bool = False
    _cursor: str = ""

    def _filter(self) -> audit_log.AuditFilter:
        return audit_log.parse_filter(
            "" if self.actor == ANYONE else self.actor,
            "" if self.action == ANY_ACTION else self.action,
            self.since,
            self.until,
        )

    async def _read(self, *, more: bool) -> None:
        flt, cursor = self._filter(), self._cursor if more else None

        async def read(session: AsyncSession, ctx: TenantContext):  # type: ignore[no-untyped-def]
            page = await audit_log.list_events(session, ctx, flt, cursor=cursor, limit=PAGE)
            people = await audit_log.actors(session, ctx)
            return page, people

        page, people = await self._in_tenant(read)
        rows = [_row(e) for e in page.items]
        self.rows = [*self.rows, *rows] if more else rows
        self._cursor, self.has_more = page.next_cursor or "", page.next_cursor is not None
        self.actors = [Choice(ANYONE, "Anyone"), *[Choice(str(a), label) for a, label in people]]
        self.loaded = True

    @rx.event
    @user_action
    async def load(self):
        await self._read(more=False)

    @rx.event
    @user_action(form="audit-filter")
    async def apply(self, form: dict[str, str]):
        self.actor = form.get("actor") or ANYONE
        self.action = form.get("action") or ANY_ACTION
        self.since, self.until = form.get("since", ""), form.get("until", "")
        await self._read(more=False)

    @rx.event
    @user_action
    async def show_more(self):
        await self._read(more=True)

    @rx.event
    @user_action
    async def clear(self):
        self.actor, self.action, self.since, self.until = ANYONE, ANY_ACTION, "", ""
        await self._read(more=False)

    def _export(self, fmt: str) -> str:
        query = {
            "format": fmt,
            "actor": "" if self.actor == ANYONE else self.actor,
            "action": "" if self.action == ANY_ACTION else self.action,
            "since": self.since,
            "until": self.until,
        }
        return f"{routes.AUDIT_EXPORT}?{urlencode({k: v for k, v in query.items() if v})}"

    @rx.var
    def csv_url(self) -> str:
        return self._export("csv")

    @rx.var
    def json_url(self) -> str:
        return self._export("json")
