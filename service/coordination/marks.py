"""OIA's marks on overlapping pairs: acknowledged or deconflicted (or back to open) with a note.

Each change is a new version of the pair's overlap_marks row and an entry in the audit trail
(resource "overlaps"; record id = the two activity ids, lower first, as 32 hex digits each), so
nothing an admin wrote is lost. A pair is always stored lower id first.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.coordination.schemas import OverlapMarkBody, OverlapMarkRead
from service.errors import Conflict, NotFound, invalid
from service.models import Activity, OverlapMark
from service.records.audit import diff, record_change
from service.records.http import check_if_match
from service.schemas.vocab import Sensitivity

MARKS = cast(Table, OverlapMark.__table__)

# The same definition as the listing (service/coordination/overlaps.py), for one pair.
IS_OVERLAP = """
SELECT EXISTS (
    SELECT 1 FROM activities AS x, activities AS y
    WHERE x.id = :a AND y.id = :b AND x.lead_component <> y.lead_component AND x.countries && y.countries
      AND daterange(x.start_date, x.end_date, '[]') && daterange(y.start_date, y.end_date, '[]')
      AND x.status IN ('planned', 'active', 'suspended') AND x.archived_at IS NULL
      AND y.status IN ('planned', 'active', 'suspended') AND y.archived_at IS NULL
)
"""


def record_id(a: uuid.UUID, b: uuid.UUID) -> str:
    """The pair's id in the audit trail and change feed (fits its 64 characters)."""
    return a.hex + b.hex


def ordered(first: uuid.UUID, second: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    if first == second:
        raise invalid(["path", "second"], "a pair needs two different activities")
    return (first, second) if first < second else (second, first)


async def check_visible(
    session: AsyncSession, principal: Principal, a: uuid.UUID, b: uuid.UUID
) -> tuple[str | None, None]:
    """404 for an activity that does not exist or that the caller may not see (the same answer);
    else the pair's marking for the audit trail: the higher of the two (owner none: an editor
    sees a pair's entries only if its clearance covers both)."""
    table = Activity.__table__
    rows = await session.execute(
        select(table.c.id, table.c.sensitivity, table.c.lead_component).where(table.c.id.in_([a, b]))
    )
    known = {r.id: r for r in rows if principal.can_read(r.sensitivity, r.lead_component)}
    for activity in (a, b):
        if activity not in known:
            raise NotFound(f"No activity {activity}.")
    marking = max((Sensitivity(r.sensitivity) for r in known.values()), key=lambda s: s.rank)
    return marking.value, None


async def check_pair(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> None:
    """409 unless the two currently overlap."""
    if not await session.scalar(text(IS_OVERLAP), {"a": a, "b": b}):
        raise Conflict(
            "These activities do not overlap: both must be live, led by different components, "
            "share a country and overlap in time."
        )


def to_read(row: Any) -> OverlapMarkRead:
    return OverlapMarkRead(
        activity_ids=[row.activity_a, row.activity_b],
        status=row.status,
        note=row.note,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def mark_pair(
    session: AsyncSession,
    actor: Principal,
    pair: tuple[uuid.UUID, uuid.UUID],
    body: OverlapMarkBody,
    if_match: str | None,
) -> OverlapMarkRead:
    """Create or change the mark; the audit row is the transaction's last statement."""
    a, b = pair
    marking = await check_visible(session, actor, a, b)
    await check_pair(session, a, b)
    key = (MARKS.c.activity_a == a) & (MARKS.c.activity_b == b)
    current = (await session.execute(select(MARKS).where(key).with_for_update())).first()
    if if_match is not None:
        check_if_match(if_match, current.version if current else 0)
    values = {"status": body.status.value, "note": body.note}
    if current is not None and diff(current._asdict(), values) == {}:
        return to_read(current)
    if current is None:
        stmt: Any = insert(MARKS).values(activity_a=a, activity_b=b, updated_by=actor.name, **values)
        changes, action = diff(None, {"activity_ids": [a, b], **values}), "create"
    else:
        stmt = (
            update(MARKS)
            .where(key)
            .values(version=MARKS.c.version + 1, updated_at=func.now(), updated_by=actor.name, **values)
        )
        changes, action = diff(current._asdict(), values), "update"
    row = (await session.execute(stmt.returning(MARKS))).one()
    await record_change(
        session,
        resource="overlaps",
        record_id=record_id(a, b),
        action=action,
        version=row.version,
        actor=actor,
        changes=changes,
        marking=marking,
        previous=marking if action == "update" else (None, None),
    )
    return to_read(row)
