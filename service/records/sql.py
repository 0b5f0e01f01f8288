"""Generic SQL for versioned, audited, archivable records (SQLAlchemy Core over the ORM tables).

Every resource repository delegates its plain reads and writes here, so the rules hold everywhere:
each write bumps `version`, stamps who and when, and appends an audit row in the same transaction;
updates lock the row first so two writers holding the same ETag can never both succeed.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.db import driver_connection
from service.records import compiled, write_sql
from service.records.audit import diff, record_change
from service.records.pagination import Sort, decode_cursor, encode_cursor, keyset_segments, order_by
from service.records.spec import ResourceSpec, Row


async def fetch(session: AsyncSession, spec: ResourceSpec, key: Any) -> Row | None:
    row = (await session.execute(select(spec.table).where(spec.key_column == key))).first()
    return dict(row._mapping) if row else None


async def exists(session: AsyncSession, spec: ResourceSpec, key: Any) -> bool:
    """Whether a record with this key exists (archived ones too)."""
    found = await session.scalar(select(spec.key_column).where(spec.key_column == key))
    return found is not None


async def lock(session: AsyncSession, spec: ResourceSpec, key: Any) -> Row | None:
    """Read a row and hold its lock to commit: the writer that waits sees the winner's version."""
    connection = await driver_connection(session)  # one prepared statement, not the session's
    found = await connection.fetchrow(write_sql.lock_sql(spec), key)
    return write_sql.as_row(spec, found) if found else None


async def create(session: AsyncSession, spec: ResourceSpec, values: Row, actor: Principal) -> Row:
    """Insert a record stamped with its creator, plus its `create` audit row (one statement:
    service.records.write_sql)."""
    connection = await driver_connection(session)
    found = await write_sql.insert(connection, spec, values, actor, diff(None, values))
    return write_sql.as_row(spec, found)


async def apply_update(
    session: AsyncSession,
    spec: ResourceSpec,
    current: Row,
    values: Row,
    actor: Principal,
    action: str = "update",
) -> Row:
    """Write the fields of `values` that differ from the locked `current` row (no-op if none)."""
    changes = diff(current, values)
    if not changes:
        return current
    changed = {name: values[name] for name in changes}
    connection = await driver_connection(session)
    previous = spec.marking_of(current)
    found = await write_sql.update(connection, spec, current, changed, actor, changes, action, previous)
    # The row is locked by the caller (sql.lock) at this version, so the UPDATE always finds it.
    assert found is not None, "the locked row changed under its lock"
    return write_sql.as_row(spec, found)


async def set_archived(
    session: AsyncSession, spec: ResourceSpec, current: Row, archived: bool, actor: Principal
) -> Row:
    """Archive (or restore) a locked row; archived_at is the only field that moves."""
    value = func.now() if archived else None
    stmt = (
        update(spec.table)
        .where(spec.key_column == current[spec.key])
        .values(
            archived_at=value,
            version=spec.table.c.version + 1,
            updated_at=func.now(),
            updated_by=actor.name,
        )
        .returning(spec.table)
    )
    row = dict((await session.execute(stmt)).one()._mapping)
    await record_change(
        session,
        resource=spec.name,
        record_id=row[spec.key],
        action="archive" if archived else "restore",
        version=row["version"],
        actor=actor,
        changes=diff({"archived_at": current["archived_at"]}, {"archived_at": row["archived_at"]}),
        marking=spec.marking_of(row),
        previous=spec.marking_of(current),
    )
    return row


def _page_statement(
    spec: ResourceSpec,
    columns: list[Any],
    where: list[ColumnElement[bool]],
    sort: Sort,
    cursor: str | None,
    limit: int,
) -> Any:
    key = spec.key_column
    order = order_by(sort, key)
    base = select(*columns).where(*where)
    # One extra row says whether there is a next page, without a COUNT.
    if cursor is None:
        return base.order_by(*order).limit(limit + 1)
    segments = keyset_segments(sort, key, decode_cursor(cursor, sort, key))
    if len(segments) == 1:
        return base.where(segments[0]).order_by(*order).limit(limit + 1)
    # Around the nulls of a nullable sort the rest is two index ranges (service.records.pagination):
    # each read in index order and cut at the page size, then put one after the other.
    parts = [
        base.add_columns(literal(n).label("_segment")).where(segment).order_by(*order).limit(limit + 1)
        for n, segment in enumerate(segments)
    ]
    both = union_all(*parts).subquery()
    sort_key, id_key = both.c[sort.name], both.c[spec.key]
    tail = [sort_key.desc(), id_key.desc()] if sort.descending else [sort_key.asc(), id_key.asc()]
    shown = [c for c in both.c if c.key != "_segment"]
    return select(*shown).order_by(both.c._segment, *tail).limit(limit + 1)


def _next_cursor(sort: Sort, rows: list[Any], limit: int, key: str) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(sort, last[sort.name], last[key])


async def page(
    session: AsyncSession,
    spec: ResourceSpec,
    where: list[ColumnElement[bool]],
    sort: Sort,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row], str | None]:
    """One keyset page of rows matching `where`, and the cursor of the next page (or None)."""
    stmt = _page_statement(spec, [spec.table], where, sort, cursor, limit)
    rows = [dict(r._mapping) for r in (await session.execute(stmt)).all()]
    return rows[:limit], _next_cursor(sort, rows, limit, spec.key)


async def page_json(
    session: AsyncSession,
    spec: ResourceSpec,
    projection: ColumnElement[str],
    where: list[ColumnElement[bool]],
    sort: Sort,
    cursor: str | None,
    limit: int,
) -> tuple[list[str], str | None]:
    """The same page, each row as the JSON text PostgreSQL built for it."""
    columns = [projection.label("doc"), sort.column.label(sort.name)]
    if sort.name != spec.key:
        columns.append(spec.key_column)
    stmt = _page_statement(spec, columns, where, sort, cursor, limit)
    rows = await compiled.fetch(session, stmt)
    return [r["doc"] for r in rows[:limit]], _next_cursor(sort, rows, limit, spec.key)


async def fetch_json(connection: asyncpg.Connection, sql: str, key: Any) -> asyncpg.Record | None:
    """One record as JSON text built by PostgreSQL, its version and, for a marked resource, its
    marking and owner (`sql` from projection.lookup_sql)."""
    return await connection.fetchrow(sql, key)
