"""State of the run page: the run read from the database, kept current by a background watcher.

``load`` (on_load) reads the run once and starts ``watch``. Started from on_load, Reflex cancels
the watcher when the tab disconnects or navigates; a newer load also retires it (``_gen``). The
watcher clears its hub event *before* each read, so a change committed while it reads wakes it
again and nothing is lost; a burst of changes coalesces into one read. Each read checks the
session again (remembered until a login or membership changes, ``live/sessions.py``), so a user
who logged out elsewhere stops receiving updates with the next change. Tabs of one workspace
watching one run share the read that follows a notification (``live/shared.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

import reflex as rx
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlmodel.ext.asyncio.session import AsyncSession

from nyx_app import routes
from nyx_app.db.notify import RUNS_CHANNEL
from nyx_app.db.session import transaction
from nyx_app.live.hub import hub
from nyx_app.live.sessions import sessions
from nyx_app.live.shared import shared_reads
from nyx_app.pages import run_rows
from nyx_app.pages.run_rows import CoverageRow, Header, StepRow
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import NotFound, ServiceError
from nyx_app.services.runs import control, model_compare, outputs, pausing, reruns, views
from nyx_app.state import toasts
from nyx_app.state.session import SESSION_ENDED, AuthState, user_action

log = logging.getLogger(__name__)

SAFETY_POLL_S = 10.0
REDIS_RETRY_S = (0.5, 5.0)  # first and longest wait while the state manager's Redis is away
# Reads of one tab start at least this far apart: a run streaming 16 answers at once notifies far
# more often than a page can usefully redraw. Kept short, because a change notified just after a
# read waits up to this long (at 100 ms, a step finishing right after its start was shown
# reached the page ~60 ms late).
MIN_INTERVAL_S = 0.03
# After a notification, wait this long before reading: a step finishing and the next one starting
# are committed a few milliseconds apart, and one update showing both costs every watching
# browser half of what two cost.
SETTLE_S = 0.01
ITEMS_STEP = views.ITEMS_PAGE
FULL_OUTPUTS_MAX = 5  # full outputs the page keeps loaded at once
# Counts running steps' and the run's elapsed time on between updates (no server round trip).
TICKER_JS = (Path(__file__).parent / "runs" / "ticker.js").read_text()

# A browser that lost its network gets no socket error for a while, just silence: the run page
# says so (the browser tells online/offline apart; #offline-hint is in run.py).
OFFLINE_HINT = """(() => {
  const show = () => {
    const hint = document.getElementById('offline-hint');
    if (hint) hint.style.display = navigator.onLine ? 'none' : 'grid';  // over its class's display: none
  };
  if (!window.nyxOfflineHint) {
    window.nyxOfflineHint = true;
    window.addEventListener('online', show);
    window.addEventListener('offline', show);
  }
  show();
})()"""

Snapshot = tuple[views.RunView, dict[str, str]]
Rows = tuple[run_rows.Header, list[run_rows.StepRow], list[run_rows.CoverageRow]]


async def read_run(
    session: AsyncSession, ctx: TenantContext, run_id: str, project_id: str, items: int, full_rows: list[str]
) -> Snapshot:
    """The run (under another project's URL: not found) and the full outputs the user opened."""
    view = await views.run_view(session, ctx, run_id, items_limit=items)
    if view.project_id != project_id:
        raise NotFound("Run not found.")
    fulls: dict[str, str] = {}
    for row_id in full_rows:
        with contextlib.suppress(NotFound):
            fulls[row_id] = await views.step_output(session, ctx, run_id, row_id)
    return view, fulls


SIGNED_OUT, GONE, UNAVAILABLE = "signed out", "gone", "unavailable"


async def _snapshot(
    token: str, run_id: str, project_id: str, items: int, full_rows: list[str], chosen: dict[str, bool]
) -> tuple[Snapshot, Rows] | str:
    """A read for the watcher, and the rows the page shows of it, outside the state lock; a string
    says why there is none."""
    try:
        ident = await sessions().resolve(token)
        if ident is None:
            return SIGNED_OUT
        ctx = TenantContext(ident.tenant_id, ident.user_id, ident.role)

        async def read() -> tuple[Snapshot, Rows]:
            async with transaction(ctx.tenant_id, ctx.user_id) as session:
                snapshot = await read_run(session, ctx, run_id, project_id, items, full_rows)
            # Built once for every tab that shares the read (Markdown rendered): twenty tabs
            # building the same rows cost the web process as much as the read itself.
            return snapshot, run_rows.rows(snapshot[0], chosen, snapshot[1], items)

        # What a run looks like depends on the workspace and what the tab opened, not on who in
        # the workspace looks.
        key = (ctx.tenant_id, run_id, project_id, items, tuple(full_rows), tuple(sorted(chosen.items())))
        return await shared_reads().get(key, hub().version(RUNS_CHANNEL, run_id), read)
    except NotFound:
        return GONE
    except Exception:  # the database away for a moment: the next round tries again
        log.warning("reading run %s for a watching page failed", run_id, exc_info=True)
        return UNAVAILABLE


class RunState(AuthState):
    # Defaults render as "loading": after a backend restart the page first shows them.
    loaded: bool = False
    found: bool = True
    head: Header = Header()
    steps: list[StepRow] = []
    coverage: list[CoverageRow] = []
    review_text: str = ""
    review_row: str = ""  # the row under review; a new one re-creates the review form
    action_error: str = ""
    review_error: str = ""
    # Re-run from a step: the step chosen ("" while the dialog is closed), its prompt and model.
    rerun_key: str = ""
    rerun_title: str = ""
    rerun_prompt: str = ""
    rerun_model: str = ""
    rerun_error: str = ""
    # Compare models on a step: the step chosen ("" while closed), the models typed.
    compare_key: str = ""
    compare_error: str = ""
    _run: str = ""
    _project: str = ""
    _review_key: str = ""
    _gen: int = 0
    _chosen: dict[str, bool] = {}
    _full_rows: list[str] = []
    _items: int = ITEMS_STEP

    def _apply(self, snapshot: Snapshot, prepared: Rows | None = None) -> None:
        view, fulls = snapshot
        head, steps, coverage = prepared or run_rows.rows(view, self._chosen, fulls, self._items)
        # Assign only what changed: the browser receives every assigned var again. The rows may
        # be shared with other tabs (see _snapshot): each tab's state gets lists of its own.
        if head != self.head:
            self.head = head
        if steps != self.steps:
            self.steps = list(steps)
        if coverage != self.coverage:
            self.coverage = list(coverage)
        waiting = next((s for s in steps if s.waiting_review), None)
        self._review_key = waiting.key if waiting else ""
        if (waiting.row_id if waiting else "") != self.review_row:
            self.review_row = waiting.row_id if waiting else ""
            self.review_error = ""
        if view.review_text != self.review_text:
            self.review_text = view.review_text
        self.found, self.loaded = True, True

    async def _refresh(self, action: Any = None) -> None:
        """Optionally act, then read the run, in one transaction."""
        run_id, project_id, items, full_rows = self._run, self._project, self._items, list(self._full_rows)

        async def work(s: AsyncSession, c: TenantContext) -> Snapshot:
            if action is not None:
                await action(s, c)
            return await read_run(s, c, run_id, project_id, items, full_rows)

        self._apply(await self._in_tenant(work))

    @rx.event
    @user_action
    async def load(self):
        run_id, project_id = self.run_id, self.project_id  # type: ignore[attr-defined]  # route args
        if run_id != self._run:
            self.loaded, self.head, self.steps, self.coverage = False, Header(), [], []
            self.review_text = self.review_row = ""
            self._chosen, self._full_rows, self._items = {}, [], ITEMS_STEP
        self._run, self._project, self._gen = run_id, project_id, self._gen + 1
        self.action_error = self.review_error = ""
        try:
            await self._refresh()
        except NotFound:
            # The same answer for a made-up id, another tenant's run and another project's URL.
            self.found, self.loaded = False, True
            return None
        return [rx.call_script(TICKER_JS), RunState.watch, rx.call_script(OFFLINE_HINT)]

    @rx.event(background=True)
    async def watch(self):
        async with self:
            gen, token, run_id, project_id = self._gen, self._session_token(), self._run, self._project
        if not run_id:
            return None
        wait = REDIS_RETRY_S[0]
        async with hub().watch(RUNS_CHANNEL, run_id) as changed, sessions().watching():
            while True:
                try:
                    return await self._follow(gen, token, run_id, project_id, changed)
                except RedisConnectionError:
                    # Redis (browser state, scale-out) is away: the page keeps what it shows and
                    # this watcher tries again until it is back (deploy/SCALING.md, "Redis restart").
                    log.warning("the state manager's Redis is away; the run page retries in %.1f s", wait)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, REDIS_RETRY_S[1])

    async def _follow(self, gen: int, token: str, run_id: Any, project_id: Any, changed: asyncio.Event) -> Any:
        while True:
            changed.clear()  # before reading: a change landing meanwhile wakes the next round
            async with self:
                if self._gen != gen:
                    # 0: this tab's state was lost (Redis restarted empty): the page loads itself
                    # again, in place, from the database. Otherwise a newer load watches now.
                    return RunState.load if self._gen == 0 else None
                items, full_rows, chosen = self._items, list(self._full_rows), dict(self._chosen)
            started = time.monotonic()
            # Rows are built (Markdown rendered) outside the state lock: clicks are not kept
            # waiting behind a big run's updates.
            read = await _snapshot(token, run_id, project_id, items, full_rows, chosen)
            async with self:
                if self._gen != gen:
                    return RunState.load if self._gen == 0 else None
                if read in (SIGNED_OUT, GONE):
                    self.found, self.loaded = False, True
                    self.error = SESSION_ENDED if read == SIGNED_OUT else ""
                    return None
                if not isinstance(read, str):
                    # The user may have opened or closed something meanwhile: then build anew.
                    same = (chosen, items, full_rows) == (self._chosen, self._items, self._full_rows)
                    snapshot, prepared = read
                    self._apply(snapshot, prepared if same else None)
            # Changes arriving within MIN_INTERVAL_S of this read's start coalesce into the next.
            await asyncio.sleep(max(0.0, MIN_INTERVAL_S - (time.monotonic() - started)))
            # A slow safety-net poll too (re-reads even without a notification: a lost
            # connection, a clock-driven change).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=SAFETY_POLL_S)
                await asyncio.sleep(SETTLE_S)

    # -- what the user opens and closes ---------------------------------------------------------
    @rx.event
    @user_action
    async def toggle_group(self, key: str):
        step = next((s for s in self.steps if s.key == key), None)
        if step is not None:
            self._chosen = {**self._chosen, key: not step.expanded}
            await self._refresh()

    @rx.event
    @user_action
    async def show_more(self):
        self._items += ITEMS_STEP
        await self._refresh()

    @rx.event
    @user_action
    async def show_full(self, row_id: str):
        self._full_rows = [*[r for r in self._full_rows if r != row_id], row_id][-FULL_OUTPUTS_MAX:]
        await self._refresh()

    @rx.event
    @user_action
    async def hide_full(self, row_id: str):
        self._full_rows = [r for r in self._full_rows if r != row_id]
        await self._refresh()

    @rx.event
    @user_action
    async def copy_output(self, row_id: str):
        """The whole answer onto the clipboard, read now: state holds previews only."""
        run_id = self._run
        found = await self._in_tenant(lambda s, c: outputs.output_file(s, c, run_id, row_id))
        return [rx.set_clipboard(found.text), toasts.done("Copied to the clipboard")]

    # -- commands ------------------------------------------------------------------------------
    async def _command(self, action: Any, where: str = "action") -> None:
        self.action_error = self.review_error = ""
        try:
            await self._refresh(action)
        except ServiceError as exc:
            # Someone may have acted first: show their outcome along with the message.
            if where == "review":
                self.review_error = exc.message
            else:
                self.action_error = exc.message
            with contextlib.suppress(ServiceError):
                await self._refresh()

    @rx.event
    @user_action
    async def cancel(self):
        run_id = self._run
        await self._command(lambda s, c: control.cancel_run(s, c, run_id))

    @rx.event
    @user_action
    async def resume(self):
        run_id = self._run
        await self._command(lambda s, c: control.resume_run(s, c, run_id))

    @rx.event
    @user_action
    async def pause(self, mode: str):
        run_id = self._run
        await self._command(lambda s, c: pausing.pause_run(s, c, run_id, mode))

    @rx.event
    @user_action
    async def open_rerun(self, key: str):
        run_id = self._run
        title, prompt, model = await self._in_tenant(lambda s, c: reruns.step_settings(s, c, run_id, key))
        self.rerun_key, self.rerun_title, self.rerun_prompt, self.rerun_model = key, title, prompt, model
        self.rerun_error = ""

    @rx.event
    def close_rerun(self, open_: bool = False):
        if not open_:
            self.rerun_key = self.rerun_error = ""

    @rx.event
    @user_action
    async def rerun(self, form: dict[str, str]):
        """Start the re-run with the edited prompt and model, and open its page."""
        run_id, key, project_id = self._run, self.rerun_key, self._project
        prompt, model = form.get("prompt", ""), form.get("model", "")
        self.rerun_error = ""

        async def start(s: AsyncSession, c: TenantContext) -> str:
            return str((await reruns.rerun_from_step(s, c, run_id, key, prompt=prompt, model=model)).id)

        try:
            new_id = await self._in_tenant(start)
        except ServiceError as exc:
            self.rerun_error = exc.message
            return None
        self.rerun_key = ""
        return rx.redirect(routes.run_url(project_id, new_id))

    @rx.event
    def open_compare(self, key: str):
        self.compare_key, self.compare_error = key, ""

    @rx.event
    def close_compare(self, open_: bool = False):
        if not open_:
            self.compare_key = self.compare_error = ""

    @rx.event
    @user_action
    async def compare_models(self, form: dict[str, str]):
        """Start the comparison (2 to 4 models, one a line) and open its page."""
        run_id, key, project_id = self._run, self.compare_key, self._project
        models = [line for line in form.get("models", "").splitlines() if line.strip()]

        async def start(s: AsyncSession, c: TenantContext) -> str:
            return str((await model_compare.start_comparison(s, c, run_id, key, models)).id)

        try:
            new_id = await self._in_tenant(start)
        except ServiceError as exc:
            self.compare_error = exc.message
            return None
        self.compare_key = ""
        return rx.redirect(routes.run_url(project_id, new_id))

    @rx.event
    @user_action
    async def pick_winner(self, key: str, apply: bool):
        run_id = self._run
        await self._command(lambda s, c: model_compare.pick_winner(s, c, run_id, key, apply))
        if self.action_error:
            return None
        return toasts.done("The winner is saved" + (" and is now the step's model." if apply else "."))

    @rx.event
    @user_action
    async def retry(self, key: str):
        run_id = self._run
        await self._command(lambda s, c: control.retry_step(s, c, run_id, key))

    @rx.event
    @user_action
    async def approve(self, form: dict[str, str]):
        run_id, key = self._run, self._review_key
        text, note = form.get("text", ""), form.get("note", "")
        await self._command(lambda s, c: control.approve_review(s, c, run_id, key, text, note), "review")

    @rx.event
    @user_action
    async def reject(self, form: dict[str, str]):
        run_id, key, reason = self._run, self._review_key, form.get("reason", "")
        await self._command(lambda s, c: control.reject_review(s, c, run_id, key, reason), "review")
