"""The change feed: the audit log read in `seq` order.

Rows become visible in seq order because every writer takes the feed lock before its audit insert
(service.records.audit), so a poller that remembers the last seq it saw never skips a change.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry

AUDIT = AuditEntry.__table__


async def changes_after(
    session: AsyncSession, after_seq: int, resources: list[str], limit: int
) -> list[dict[str, object]]:
    """Up to `limit` changes with seq > after_seq, oldest first."""
    stmt = (
        select(AUDIT.c.seq, AUDIT.c.resource, AUDIT.c.record_id, AUDIT.c.action, AUDIT.c.at, AUDIT.c.version)
        .where(AUDIT.c.seq > after_seq)
        .order_by(AUDIT.c.seq)
        .limit(limit)
    )
    if resources:
        stmt = stmt.where(AUDIT.c.resource.in_(resources))
    return [dict(row._mapping) for row in (await session.execute(stmt)).all()]
