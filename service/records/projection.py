"""Records rendered as JSON by PostgreSQL, for the hot read paths (GET by id, list pages).

Building the document in the database and passing its text through unparsed removes the per-row
cost of Python objects and pydantic; the rendering matches the pydantic read models field for
field (timestamps as RFC 3339 UTC with microseconds and `Z`, numerics as JSON numbers, dates as
YYYY-MM-DD). A read model with a field that is not a column of its table has no projection, and
its resource falls back to the pydantic path.

The text is compact (`{"id":"...","title":"..."}`) like every other response: row_to_json over a
row of the read model's fields writes no spaces and keeps their order. json_build_object writes
`"key" : value`, and jsonb would reorder the keys. On a 200-row page of activities the two cost the
same within noise (the statement alone: 1.84 vs 1.89 ms, json_strip_nulls for the partners included).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, DateTime, String, Table, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.elements import ColumnElement

from service.auth import Principal
from service.records.links import visible_link_column
from service.records.references import Target

_TIMESTAMP_SQL = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""  # a SQL literal, inlined like the field names


def _render(column: Any) -> ColumnElement[Any]:
    if isinstance(column.type, DateTime):
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column(_TIMESTAMP_SQL))
    if isinstance(column.type, JSONB):
        # jsonb prints `"key": value`; json_strip_nulls re-serialises compactly. It also drops object
        # members that are null, which the stored documents (validated foreign partners) never have.
        return func.json_strip_nulls(cast(column, JSON))
    return column


def json_projection(
    table: Table,
    read_model: type[BaseModel],
    links: dict[str, Target] | None = None,
    principal: Principal | None = None,
) -> ColumnElement[str] | None:
    """The record as compact JSON text in the read model's field order, or None if it cannot be built.
    `links` (service.records.links.marked_links) show only the ids `principal` may see."""
    fields = list(read_model.model_fields)
    if any(name not in table.c for name in fields):
        return None
    links = links or {}

    def value(name: str) -> ColumnElement[Any]:
        if name in links and principal is not None:
            return visible_link_column(table, name, links[name], principal)
        return _render(table.c[name])

    # A one-row derived table named after the fields, correlated to the outer row; row_to_json of it
    # is the document. Field names are our own identifiers, inlined as column labels.
    row = select(*(value(name).label(name) for name in fields)).correlate(table).subquery("r")
    document = cast(select(func.row_to_json(row.table_valued())).scalar_subquery(), String)
    return _precompiled(document, table)


def _precompiled(expression: ColumnElement[str], table: Table) -> ColumnElement[str]:
    """`expression` as its SQL text in one opaque column over `table`'s columns.

    A list page used to spend ~20 % of its worker CPU on SQLAlchemy hashing this tree (dozens of
    columns, casts and functions) into the statement's cache key on every request. As one literal
    column its cache key is its text. It is compiled where it is used, correlated to `table` (so
    without a FROM of its own), with the clearance of a link filter inlined as literals."""
    in_place = select(expression.label("doc")).select_from(table)
    text = str(in_place.compile(dialect=asyncpg_dialect(), compile_kwargs={"literal_binds": True}))
    head, tail = "SELECT ", f" AS doc \nFROM {table.name}"
    assert text.startswith(head) and text.endswith(tail), text
    return literal_column(text[len(head) : -len(tail)], String)


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
