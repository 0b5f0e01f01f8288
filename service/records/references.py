"""Reference checks every resource shares: component codes, live ids, and who still links to a record.

`Target`s name what a reference field points at; a store lists its reference fields with them, and
the bulk import checks whole chunks of rows against the same targets set-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Conflict, invalid
from service.models import Activity, Component, Post, Posting, StrategicGoal


@dataclass(frozen=True)
class Target:
    """What a reference field points at: `column` of `table`, called `what` in messages."""

    what: str
    table: Table
    column: str
    # (marking column, owner column) when the target records carry a sensitivity marking
    marking: tuple[str, str] | None = None


COMPONENT = Target("component", Component.__table__, "code")
POST = Target("post", Post.__table__, "id")
GOAL = Target("strategic goal", StrategicGoal.__table__, "code")
ACTIVITY = Target("activity", Activity.__table__, "id", ("sensitivity", "lead_component"))
POSTING = Target("posting", Posting.__table__, "id", ("sensitivity", "component"))


async def check_components(
    session: AsyncSession,
    field: str,
    codes: list[str],
    *,
    scalar: bool = False,
    where: str = "body",
    allow_retired: frozenset[str] = frozenset(),
) -> None:
    """Every code must be a component; a write may not newly name a retired one
    (`allow_retired`: codes the record already had, so old records stay editable)."""
    if not codes:
        return
    rows = (
        await session.execute(
            select(Component.code, Component.active, Component.successor_code).where(
                Component.code.in_(set(codes))
            )
        )
    ).all()
    known = {r.code: r for r in rows}
    for index, code in enumerate(codes):
        loc: list[str | int] = [where, field] if scalar else [where, field, index]
        if code not in known:
            raise invalid(loc, f"'{code}' is not a component code (see GET /api/v1/components)")
        if not known[code].active and code not in allow_retired:
            successor = known[code].successor_code
            hint = f"; its work moved to {successor}" if successor else ""
            raise invalid(loc, f"component '{code}' is retired{hint}")


async def refuse_if_referenced(session: AsyncSession, what: str, referrers: list[tuple[str, Any]]) -> None:
    """409 naming who still links to a record that is about to be archived."""
    found = []
    for label, condition in referrers:
        count = await session.scalar(select(func.count()).where(condition))
        if count:
            found.append(f"{count} live {label}")
    if found:
        raise Conflict(f"Cannot archive this {what}: {', '.join(found)} still refer to it.")


async def check_live_ids(session: AsyncSession, table: Any, field: str, ids: list[Any], what: str) -> None:
    """Every id must name a live (not archived) record of `table`."""
    if not ids:
        return
    rows = (
        await session.execute(
            select(table.c.id).where(table.c.id.in_(set(ids)), table.c.archived_at.is_(None))
        )
    ).scalars()
    live = set(rows)
    for index, value in enumerate(ids):
        if value not in live:
            raise invalid(["body", field, index], f"{what} {value} does not exist or is archived")
