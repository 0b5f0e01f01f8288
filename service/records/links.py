"""Links to records the caller may not see: a visible record never names an invisible one.

A posting's `activity_ids`, a recommendation's `activity_ids` and `posting_ids` can point at records
marked above the reader's clearance. They are stored whole (an editor's PATCH keeps links it cannot
see), and every read shows only the linked ids the reader may see: in SQL for the PostgreSQL-built
JSON and exports (a subselect with the caller's clearance bound in, which row-level security
filters again), in Python for the response to a write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from service.auth import Principal
from service.records.references import Target
from service.records.spec import Row
from service.records.where import one_of, readable
from service.schemas.vocab import Sensitivity


def marked_links(references: dict[str, Target], table: Table) -> dict[str, Target]:
    """The array fields of `table` that point at records carrying a marking."""
    return {
        name: target
        for name, target in references.items()
        if target.marking is not None and hasattr(table.c[name].type, "item_type")
    }


def visible_link_column(table: Table, name: str, target: Target, principal: Principal) -> ColumnElement[Any]:
    """The array `table.name` with only the ids `principal` may see, in stored order."""
    assert target.marking is not None
    marking, owner = target.marking
    linked = target.table.alias("linked")
    link = func.unnest(table.c[name]).table_valued("x", with_ordinality="n").render_derived("u")
    seen = exists().where(
        linked.c[target.column] == link.c.x,
        readable(principal, linked.c[marking], linked.c[owner]),
    )
    ids = select(link.c.x).where(seen).order_by(link.c.n)
    return func.array(ids.scalar_subquery(), type_=table.c[name].type)


async def redact_links(
    session: AsyncSession, principal: Principal, references: dict[str, Target], row: Row
) -> Row:
    """The row with the linked ids the principal may not see left out (a write's response)."""
    if principal.clearance is Sensitivity.les:
        return row  # the highest clearance sees every marking
    redacted = dict(row)
    for name, target in references.items():
        ids = row.get(name)
        if target.marking is None or not ids:
            continue
        columns = target.table.c
        marking, owner = target.marking
        stmt = select(columns[target.column]).where(
            one_of(columns[target.column], ids),
            readable(principal, columns[marking], columns[owner]),
        )
        seen = set((await session.execute(stmt)).scalars())
        redacted[name] = [value for value in ids if value in seen]
    return redacted
