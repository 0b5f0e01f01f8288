"""A record's write, the change feed's lock and its audit row as ONE statement on the driver connection.

Through SQLAlchemy's session a create was five round trips (INSERT ... RETURNING, the feed lock, the
audit INSERT, around BEGIN and COMMIT) and the session's per-statement machinery was ~45 % of the
worker's time. Here the record's values travel as one JSON parameter that PostgreSQL itself turns
into the table's column types (`json_populate_record`), and the statement is a string built once per
resource and set of columns, which asyncpg keeps prepared per connection.

The ordering service.records.audit explains still holds inside the one statement: `feed` takes the
lock selecting FROM the written row (so after the row's own work), and the audit row is inserted
FROM that row joined with `feed`; its `seq` (an identity default) is computed for a row of that
join, so only once the lock is held. The lock is held to commit, as before.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import asyncpg
from sqlalchemy import JSON, Table, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from service.auth import Principal
from service.errors import Conflict
from service.records.audit import FEED_LOCK_ID
from service.records.spec import ResourceSpec, Row
from service.web.context import current_request_id

_DIALECT = asyncpg_dialect()
_QUOTE = _DIALECT.identifier_preparer.quote
# The audit row's parameters after the record's ($1 values, $2 actor name, then these).
_AUDIT_PARAMS = "$3::uuid, $2::text, $4::text, $5::jsonb, $6::text, $7::text"
_AUDIT_COLUMNS = (
    "resource, record_id, action, version, key_id, actor_name, request_id, changes, "
    "actor_subject, actor_issuer, sensitivity, owner, prev_sensitivity, prev_owner"
)


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact: PostgreSQL reads the text into numeric
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(values: Row) -> str:
    """Values as the JSON `json_populate_record` turns back into column types."""
    return json.dumps(values, default=_default, separators=(",", ":"))


def _marking_sql(spec: ResourceSpec, source: str) -> str:
    if spec.marking is None:
        return "NULL, NULL"
    return f"{source}.{_QUOTE(spec.marking[0])}, {source}.{_QUOTE(spec.marking[1])}"


def _audit(spec: ResourceSpec, source: str, action: str, previous: str) -> str:
    key = f"{source}.{_QUOTE(spec.key)}::text"
    return (
        f"feed AS (SELECT pg_advisory_xact_lock({FEED_LOCK_ID}) FROM {source}), "
        f"aud AS (INSERT INTO audit_log ({_AUDIT_COLUMNS}) "
        f"SELECT '{spec.name}', {key}, {action}, {source}.version, {_AUDIT_PARAMS}, "
        f"{_marking_sql(spec, source)}, {previous} FROM {source}, feed)"
    )


def _returning(table: Table, projection: Any | None, source: str) -> str:
    """What the statement answers: the record's JSON, version and key as GET renders them (a
    projection compiled to read the written row under the table's own name), or the whole row."""
    if projection is None:
        return f"SELECT * FROM {source}"
    stmt = select(projection, table.c.version, *table.primary_key.columns)
    text = str(stmt.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
    tail = f"\nFROM {_QUOTE(table.name)}"
    assert text.endswith(tail), text
    return f"{text[: -len(tail)]}\nFROM {source} AS {_QUOTE(table.name)}"


_CACHE: dict[tuple[Any, ...], tuple[str, Any]] = {}


def _cached(key: tuple[Any, ...], projection: Any, build: Any) -> str:
    # Keyed by the projection object's id; the entry keeps the object alive so the id stays its own.
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = (build(), projection)
    return found[0]


def insert_sql(spec: ResourceSpec, columns: tuple[str, ...], projection: Any | None) -> str:
    def build() -> str:
        table = spec.table
        names = ", ".join(_QUOTE(c) for c in columns)
        audit = _audit(spec, "ins", "'create'", "NULL, NULL")
        return (
            f"WITH ins AS (INSERT INTO {_QUOTE(table.name)} ({names}, created_by, updated_by) "
            f"SELECT {names}, $2::text, $2::text FROM json_populate_record(NULL::{_QUOTE(table.name)}, "
            f"$1::json) RETURNING *), {audit} " + _returning(table, projection, "ins")
        )

    return _cached(("insert", spec.name, columns, id(projection)), projection, build)


def update_sql(spec: ResourceSpec, columns: tuple[str, ...], projection: Any | None = None) -> str:
    def build() -> str:
        table = _QUOTE(spec.table.name)
        sets = ", ".join(f"{_QUOTE(c)} = src.{_QUOTE(c)}" for c in columns)
        return (
            f"WITH upd AS (UPDATE {table} AS t SET {sets}, version = t.version + 1, updated_at = now(), "
            f"updated_by = $2::text FROM json_populate_record(NULL::{table}, $1::json) AS src "
            f"WHERE t.{_QUOTE(spec.key)} = $8 AND t.version = $9::int RETURNING t.*), "
            f"{_audit(spec, 'upd', '$10::text', '$11::text, $12::text')} "
            + _returning(spec.table, projection, "upd")
        )

    return _cached(("update", spec.name, columns, id(projection)), projection, build)


def lock_sql(spec: ResourceSpec) -> str:
    table = _QUOTE(spec.table.name)
    return _cached(
        ("lock", spec.name),
        None,
        lambda: f"SELECT * FROM {table} WHERE {_QUOTE(spec.key)} = $1 FOR UPDATE",
    )


def _audit_args(actor: Principal, changes: dict[str, Any]) -> list[Any]:
    return [
        actor.key_id,
        current_request_id(),
        json.dumps(changes),
        actor.subject,
        actor.issuer,
    ]


async def _run(connection: asyncpg.Connection, spec: ResourceSpec, sql: str, args: list[Any]) -> Any:
    try:
        return await connection.fetchrow(sql, *args)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"{spec.unique_label} already exists.".capitalize()) from exc


def _python_defaults(table: Table, values: Row) -> Row:
    """The defaults SQLAlchemy computes client-side (ids: uuid7) for columns the values leave out."""
    made: Row = {}
    for column in table.columns:
        default = column.default
        if default is None or column.name in values:
            continue
        if not (default.is_callable or default.is_scalar):
            continue  # a server-side expression: PostgreSQL applies it
        made[column.name] = default.arg(None) if default.is_callable else default.arg
    return made


async def insert(
    connection: asyncpg.Connection,
    spec: ResourceSpec,
    values: Row,
    actor: Principal,
    changes: dict[str, Any],
    projection: Any | None = None,
) -> asyncpg.Record:
    """Insert the record and its `create` audit row; answers (json, version, key) with a
    `projection`, else the whole row."""
    values = {**_python_defaults(spec.table, values), **values}
    sql = insert_sql(spec, tuple(values), projection)
    return await _run(connection, spec, sql, [encode(values), actor.name, *_audit_args(actor, changes)])


async def update(
    connection: asyncpg.Connection,
    spec: ResourceSpec,
    current: Row,
    changed: Row,
    actor: Principal,
    changes: dict[str, Any],
    action: str,
    previous: tuple[str | None, str | None],
    projection: Any | None = None,
) -> asyncpg.Record:
    """Write `changed` over the locked `current` row, bump its version, add the audit row; answers
    like `insert`."""
    sql = update_sql(spec, tuple(changed), projection)
    args = [encode(changed), actor.name, *_audit_args(actor, changes)]
    args += [current[spec.key], current["version"], action, *previous]
    return await _run(connection, spec, sql, args)


def as_row(spec: ResourceSpec, record: asyncpg.Record) -> Row:
    """A RETURNING row as SQLAlchemy's session would give it (JSON columns decoded)."""
    row = dict(record)
    for column in spec.table.columns:
        if isinstance(column.type, JSON) and isinstance(row.get(column.name), str):
            row[column.name] = json.loads(row[column.name])
    return row
