"""The change feed: the audit log read in `seq` order, as one principal may see it.

Rows become visible in seq order because every writer takes the feed lock before its audit insert
(service.records.audit), so a poller that remembers the last seq it saw never skips a change.

Each entry keeps the record's marking and owner after and before the change, so what a caller sees
is decided entry by entry: an entry it may see comes as it is; one that takes a record out of its
view (it could see the record before the change, not after) comes as `withdrawn`; the rest are left
out. A page reads at most SCAN_WINDOW entries past the cursor, so a caller who may see little of a
busy log still gets an answer (maybe empty) and a cursor that moves on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.models import AuditEntry
from service.records.where import readable

AUDIT = AuditEntry.__table__
SCAN_WINDOW = 5000


async def changes_after(
    session: AsyncSession, after_seq: int, resources: list[str], limit: int, principal: Principal
) -> tuple[list[dict[str, Any]], int, bool]:
    """Up to `limit` changes with seq > after_seq, oldest first; the seq to resume after; and
    whether more may be waiting already (a full page, or a scan window read to its end)."""
    window = select(AUDIT).where(AUDIT.c.seq > after_seq)
    if resources:
        window = window.where(AUDIT.c.resource.in_(resources))
    size = max(SCAN_WINDOW, limit)
    # One statement, one snapshot: the page and how far the window reached must agree, or an entry
    # committed between two statements could be skipped.
    scanned = window.order_by(AUDIT.c.seq).limit(size).cte("scanned")
    now = or_(scanned.c.sensitivity.is_(None), readable(principal, scanned.c.sensitivity, scanned.c.owner))
    before = and_(
        scanned.c.prev_sensitivity.is_not(None),
        readable(principal, scanned.c.prev_sensitivity, scanned.c.prev_owner),
    )
    action = case((now, scanned.c.action), else_=literal("withdrawn"))
    page = (
        select(
            scanned.c.seq,
            scanned.c.resource,
            scanned.c.record_id,
            action.label("action"),
            scanned.c.at,
            scanned.c.version,
        )
        .where(or_(now, before))
        .order_by(scanned.c.seq)
        .limit(limit)
        .subquery()
    )
    reach = select(func.count().label("read"), func.max(scanned.c.seq).label("last")).subquery()
    stmt = select(reach, page).select_from(reach.outerjoin(page, true())).order_by(page.c.seq)
    result = (await session.execute(stmt)).all()
    read, last = result[0].read, result[0].last
    rows = [
        {k: r._mapping[k] for k in ("seq", "resource", "record_id", "action", "at", "version")}
        for r in result
        if r.seq is not None
    ]
    if len(rows) == limit:
        return rows, rows[-1]["seq"], True
    return rows, last if last is not None else after_seq, read == size
