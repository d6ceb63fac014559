"""Reading the audit log (owners and admins): filter by person, action and date, page by cursor,
export as CSV or JSON; and the periodic purge of rows past the retention setting."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from nyx_app.models.audit import AuditEvent
from nyx_app.services import pagination
from nyx_app.services.audit.actions import AuditAction
from nyx_app.services.audit.record import record
from nyx_app.services.context import TenantContext
from nyx_app.services.errors import InvalidInput
from nyx_app.services.pagination import Page
from nyx_app.services.permissions import Action, require
from nyx_app.settings import get_settings

EXPORT_MAX_ROWS = 100_000
COLUMNS = (
    "created_at",
    "action",
    "actor",
    "actor_id",
    "object_type",
    "object_id",
    "object",
    "address",
    "device",
    "via",
    "details",
)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    action: AuditAction | None = None
    since: date | None = None  # from the start of this day (UTC)
    until: date | None = None  # to the end of this day (UTC)


def parse_filter(actor_id: str = "", action: str = "", since: str = "", until: str = "") -> AuditFilter:
    """From a form or a query string; every bad value said in words."""
    try:
        actor = uuid.UUID(actor_id) if actor_id else None
    except ValueError:
        raise InvalidInput("Choose a person from the list.") from None
    try:
        chosen = AuditAction(action) if action else None
    except ValueError:
        raise InvalidInput(f"Unknown action {action!r}.") from None
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError:
        raise InvalidInput("Dates are written YYYY-MM-DD.") from None
    if start and end and start > end:
        raise InvalidInput("The start date is after the end date.")
    return AuditFilter(actor, chosen, start, end)


def _filtered(flt: AuditFilter) -> SelectOfScalar[AuditEvent]:
    stmt = select(AuditEvent)
    if flt.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == flt.actor_id)
    if flt.action is not None:
        stmt = stmt.where(AuditEvent.action == flt.action.value)
    if flt.since is not None:
        stmt = stmt.where(col(AuditEvent.created_at) >= datetime.combine(flt.since, time.min, UTC))
    if flt.until is not None:
        stmt = stmt.where(col(AuditEvent.created_at) < datetime.combine(flt.until + timedelta(days=1), time.min, UTC))
    return stmt


async def list_events(
    session: AsyncSession,
    ctx: TenantContext,
    flt: AuditFilter = AuditFilter(),
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AuditEvent]:
    require(ctx, Action.AUDIT_READ)
    stmt = pagination.after(_filtered(flt), col(AuditEvent.created_at), col(AuditEvent.id), cursor, limit)
    rows = list((await session.exec(stmt)).all())  # type: ignore[call-overload]
    return pagination.page_of(rows, limit, lambda e: (e.created_at, e.id))


async def actors(session: AsyncSession, ctx: TenantContext) -> list[tuple[uuid.UUID, str]]:
    """Everyone who appears in the log as the one who acted (for the person filter)."""
    require(ctx, Action.AUDIT_READ)
    rows = await session.exec(
        select(AuditEvent.actor_id, AuditEvent.actor_label)
        .where(col(AuditEvent.actor_id).is_not(None))
        .distinct(col(AuditEvent.actor_id))
        .order_by(col(AuditEvent.actor_id), col(AuditEvent.created_at).desc())
    )
    found = [(a, label) for a, label in rows if a is not None]
    return sorted(found, key=lambda pair: pair[1].lower())


def row_of(e: AuditEvent) -> dict[str, object]:
    return {
        "created_at": e.created_at.isoformat(),
        "action": e.action,
        "actor": e.actor_label,
        "actor_id": str(e.actor_id or ""),
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object": e.object_label,
        "address": e.address,
        "device": e.device,
        "via": e.via,
        "details": e.details,
    }


def _csv_cell(value: object) -> str:
    """Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR) are prefixed with a quote."""
    cell = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else str(value)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


async def export(session: AsyncSession, ctx: TenantContext, flt: AuditFilter, fmt: ExportFormat) -> tuple[str, int]:
    """The filtered log (newest first, at most EXPORT_MAX_ROWS rows) as text, and its row count.
    The export itself is recorded."""
    require(ctx, Action.AUDIT_READ)
    stmt = _filtered(flt).order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc()).limit(EXPORT_MAX_ROWS)
    rows = [row_of(e) for e in await session.exec(stmt)]
    if fmt is ExportFormat.JSON:
        body = json.dumps(rows, ensure_ascii=False, indent=1)
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows([_csv_cell(r[c]) for c in COLUMNS] for r in rows)
        body = out.getvalue()
    await record(
        session,
        ctx,
        AuditAction.EXPORTED,
        object_type="audit_log",
        object_label=f"Audit log ({fmt.value.upper()}, {len(rows)} rows)",
        details={"format": fmt.value, "rows": len(rows), "filter": _filter_words(flt)},
    )
    return body, len(rows)


def _filter_words(flt: AuditFilter) -> dict[str, str]:
    words = {
        "actor_id": str(flt.actor_id or ""),
        "action": flt.action.value if flt.action else "",
        "since": flt.since.isoformat() if flt.since else "",
        "until": flt.until.isoformat() if flt.until else "",
    }
    return {k: v for k, v in words.items() if v}


async def purge(session: AsyncSession) -> int:
    """Remove rows older than NYX_AUDIT_RETENTION_DAYS in every workspace, through the owner's
    function (the app role itself may not delete audit rows). Returns how many went."""
    days = get_settings().audit_retention_days
    removed = await session.execute(text("SELECT nyx_purge_audit_events(:days)"), {"days": days})
    return int(removed.scalar_one())
