"""A single record's reference checks in one query, for the write routes.

`RecordStore.check_references` asks one query per reference field (four for an activity, each a
round trip through the session). A store whose references are exactly its `references` targets plus
`import_rule` (`set_checked_import`: the bulk import already relies on that) is checked here with one
UNION ALL of the targets instead, on the driver connection of the write's transaction, with the same
answers: the first failing field in the store's order, the same location and message.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from service.errors import invalid
from service.records.references import COMPONENT, Target
from service.records.spec import Row
from service.records.store import RecordStore

_SQL: dict[tuple[Target, ...], str] = {}


def _lookup_sql(targets: tuple[Target, ...]) -> str:
    """Per target ($n: the values asked for), the values that exist as text, with a component's
    `active` and successor; other targets only where the record is live (not archived)."""
    if targets not in _SQL:
        parts = []
        for n, target in enumerate(targets, start=1):
            table, column = target.table.name, target.column
            if target is COMPONENT:
                parts.append(
                    f"SELECT {n}, code::text, active, successor_code FROM components WHERE code = ANY(${n})"
                )
            else:
                parts.append(
                    f"SELECT {n}, {column}::text, true, NULL FROM {table} "
                    f"WHERE {column} = ANY(${n}) AND archived_at IS NULL"
                )
        _SQL[targets] = " UNION ALL ".join(parts)
    return _SQL[targets]


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _problem(
    target: Target, value: Any, found: dict[tuple[Target, str], Any], allowed: frozenset[Any]
) -> str | None:
    hit = found.get((target, str(value)))
    if target is COMPONENT:
        if hit is None:
            return f"'{value}' is not a component code (see GET /api/v1/components)"
        active, successor = hit
        if not active and value not in allowed:
            return f"component '{value}' is retired" + (
                f"; its work moved to {successor}" if successor else ""
            )
        return None
    if hit is None:
        shown = f"'{value}'" if target.column == "code" else str(value)
        return f"{target.what} {shown} does not exist or is archived"
    return None


async def check_references(
    connection: asyncpg.Connection, store: RecordStore, values: Row, current: Row | None
) -> None:
    """422 for the first reference to an unknown, archived or (as a new choice) retired record;
    then the store's own rule (`import_rule`). Retired components the record already had are
    allowed, so old records stay editable."""
    wanted: dict[Target, set[Any]] = {}
    for field, target in store.references.items():
        wanted.setdefault(target, set()).update(_listed(values.get(field)))
    asked = tuple(target for target, items in wanted.items() if items)
    found: dict[tuple[Target, str], Any] = {}
    if asked:
        rows = await connection.fetch(_lookup_sql(asked), *(list(wanted[t]) for t in asked))
        found = {(asked[n - 1], value): (active, successor) for n, value, active, successor in rows}
    allowed = frozenset(
        code
        for field, target in store.references.items()
        if target is COMPONENT and current is not None
        for code in _listed(current.get(field))
    )
    for field, target in store.references.items():
        raw = values.get(field)
        for index, value in enumerate(_listed(raw)):
            problem = _problem(target, value, found, allowed)
            if problem is not None:
                raise invalid(["body", field, index] if isinstance(raw, list) else ["body", field], problem)
    store.import_rule(values)
