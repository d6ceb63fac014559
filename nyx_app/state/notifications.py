"""The header bell: the unread count and the latest notifications, live.

``load`` runs with every signed-in page's on_load and starts ``watch``, a background event that
waits on the LISTEN hub for the user's id (``NOTIFICATIONS_CHANNEL``) and re-reads; Reflex cancels
it when the tab goes or a newer load comes. Each read resolves the session again (a logout or a
removal stops it), and reads through the service, which shows only this member's rows of the
current workspace. When the count grows while the tab is in the background, the browser's own
notification shows the newest one (if the person allowed it and has not turned it off); the
permission is asked once, when they first start a run (``ASK_PERMISSION_JS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging

import reflex as rx

from nyx_app import routes
from nyx_app.db.notify import NOTIFICATIONS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.live.sessions import sessions
from nyx_app.models.notification import NotificationKind
from nyx_app.services import notifications
from nyx_app.services.context import TenantContext
from nyx_app.services.notifications import KIND_LABELS, NotificationView
from nyx_app.state.session import AuthState, user_action

log = logging.getLogger(__name__)

SAFETY_POLL_S = 30.0

# Asked once per browser, right after the person's first start of a run (a click: browsers allow it).
ASK_PERMISSION_JS = """(() => {
  if (!('Notification' in window) || Notification.permission !== 'default') return;
  if (localStorage.getItem('nyxAskedNotifications')) return;
  localStorage.setItem('nyxAskedNotifications', '1');
  Notification.requestPermission();
})()"""


def browser_notice_js(title: str, url: str) -> str:
    """The browser's own notification, only while this tab is in the background."""
    return f"""(() => {{
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  const n = new Notification('nyxCore', {{ body: {json.dumps(title)}, tag: 'nyx-notification' }});
  n.onclick = () => {{ window.focus(); if ({json.dumps(url)}) window.location.href = {json.dumps(url)}; }};
}})()"""


@dataclasses.dataclass
class BellRow:
    id: str
    title: str
    what: str
    when: str
    url: str
    unread: bool


def notification_url(n: NotificationView) -> str:
    """Built here from what the row is about, never sent by the browser."""
    if n.kind == NotificationKind.INVITATION_ACCEPTED:
        return routes.MEMBERS
    if n.kind == NotificationKind.REPORT_READY and n.project_id:
        return routes.project_url(n.project_id, tab="reports")
    if n.run_id and n.project_id:
        return routes.run_url(n.project_id, n.run_id)
    return ""


def bell_row(n: NotificationView) -> BellRow:
    what = (
        KIND_LABELS.get(NotificationKind(n.kind), n.kind) if n.kind in NotificationKind._value2member_map_ else n.kind
    )
    return BellRow(n.id, n.title, what, f"{n.created_at:%Y-%m-%d %H:%M} UTC", notification_url(n), not n.read)


class BellState(AuthState):
    unread: int = 0
    rows: list[BellRow] = []
    browser: bool = True
    muted: list[str] = []
    bell_open: bool = False
    _gen: int = 0

    async def _read(self, ctx: TenantContext) -> tuple[int, list[BellRow], notifications.Settings]:
        async with transaction(ctx.tenant_id, ctx.user_id) as s:
            count = await notifications.unread_count(s, ctx)
            rows = [bell_row(n) for n in await notifications.recent(s, ctx)]
            settings = await notifications.get_settings(s, ctx)
        return count, rows, settings

    @rx.event
    async def load(self):
        ctx = await self._context()
        if ctx is None:
            return None
        self.unread, self.rows, settings = await self._read(ctx)
        self.browser, self.muted = settings.browser, list(settings.muted)
        self._gen += 1
        return BellState.watch

    @rx.event(background=True)
    async def watch(self):
        async with self:
            gen, token = self._gen, self._session_token()
        ident = await sessions().resolve(token)
        if ident is None:
            return
        ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)
        async with hub().watch(NOTIFICATIONS_CHANNEL, str(ctx.user_id)) as changed:
            while True:
                changed.clear()  # before reading: a change landing meanwhile wakes the next round
                ident = await sessions().resolve(token)
                if ident is None or ident.tenant_id != ctx.tenant_id:
                    return  # logged out, removed, or switched workspace: a new load watches
                try:
                    count, rows, settings = await self._read(ctx)
                except Exception:  # the database away for a moment: the next round tries again
                    log.warning("reading notifications failed", exc_info=True)
                    await asyncio.sleep(SAFETY_POLL_S)
                    continue
                async with self:
                    if self._gen != gen:
                        return
                    grew = count > self.unread and rows and rows[0].unread
                    self.unread, self.rows, self.browser = count, rows, settings.browser
                    notice = browser_notice_js(rows[0].title, rows[0].url) if grew and settings.browser else ""
                if notice:
                    yield rx.call_script(notice)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=SAFETY_POLL_S)

    @rx.event
    @user_action
    async def set_bell_open(self, value: bool):
        """Opening the list marks everything read (it stays listed, unmarked)."""
        self.bell_open = value
        if value and self.unread:
            await self._in_tenant(notifications.mark_all_read)
            self.unread = 0

    @rx.event
    @user_action
    async def toggle_kind(self, kind: str):
        muted = [k for k in self.muted if k != kind] if kind in self.muted else [*self.muted, kind]
        browser = self.browser
        saved = await self._in_tenant(lambda s, c: notifications.save_settings(s, c, muted, browser))
        self.muted = list(saved.muted)

    @rx.event
    @user_action
    async def toggle_browser(self, value: bool):
        muted = list(self.muted)
        saved = await self._in_tenant(lambda s, c: notifications.save_settings(s, c, muted, value))
        self.browser = saved.browser
