"""Records rendered as JSON by PostgreSQL, for the hot read paths (GET by id, list pages).

Building the document in the database and passing its text through unparsed removes the per-row
cost of Python objects and pydantic; the rendering matches the pydantic read models field for
field (timestamps as RFC 3339 UTC with microseconds and `Z`, numerics as JSON numbers, dates as
YYYY-MM-DD). A read model with a field that is not a column of its table has no projection, and
its resource falls back to the pydantic path.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import DateTime, String, Table, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.elements import ColumnElement

from service.auth import Principal
from service.records.links import visible_link_column
from service.records.references import Target

_TIMESTAMP_SQL = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""  # a SQL literal, inlined like the field names


def _render(column: Any) -> ColumnElement[Any]:
    if isinstance(column.type, DateTime):
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column(_TIMESTAMP_SQL))
    return column


def json_projection(
    table: Table,
    read_model: type[BaseModel],
    links: dict[str, Target] | None = None,
    principal: Principal | None = None,
) -> ColumnElement[str] | None:
    """`json_build_object(...)::text` in the read model's field order, or None if it cannot be built.
    `links` (service.records.links.marked_links) show only the ids `principal` may see."""
    fields = list(read_model.model_fields)
    if any(name not in table.c for name in fields):
        return None
    links = links or {}
    pairs: list[Any] = []
    for name in fields:
        # Field names are our own identifiers: inlined, they keep the statement free of 2n bind
        # parameters (cheaper to cache-key, and a plain string for asyncpg's statement cache).
        if name in links and principal is not None:
            value = visible_link_column(table, name, links[name], principal)
        else:
            value = _render(table.c[name])
        pairs += [literal_column(f"'{name}'"), value]
    return cast(func.json_build_object(*pairs), String)


def lookup_sql(
    table: Table, projection: ColumnElement[str], key: str, marking: tuple[str, str] | None = None
) -> str:
    """SQL text for one record's JSON, version and (if marked) marking and owner by key (`$1`),
    compiled once for asyncpg.

    GET by id is the hottest route: run as a plain string on the driver connection it skips
    SQLAlchemy's per-call statement building, cache-key hashing and result wrapping, and asyncpg
    keeps it prepared per connection."""
    extra = [table.c[marking[0]], table.c[marking[1]]] if marking else []
    # `$1` written out and everything else (a caller's clearance in a link filter) as literals.
    stmt = select(projection, table.c.version, *extra).where(table.c[key] == literal_column("$1"))
    return str(stmt.compile(dialect=asyncpg_dialect(), compile_kwargs={"literal_binds": True}))
