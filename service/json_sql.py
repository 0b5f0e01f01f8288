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
from sqlalchemy import DateTime, String, Table, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


def _render(column: Any) -> ColumnElement[Any]:
    if isinstance(column.type, DateTime):
        return func.to_char(func.timezone("UTC", column), literal(_TIMESTAMP_FORMAT))
    return column


def json_projection(table: Table, read_model: type[BaseModel]) -> ColumnElement[str] | None:
    """`json_build_object(...)::text` in the read model's field order, or None if it cannot be built."""
    fields = list(read_model.model_fields)
    if any(name not in table.c for name in fields):
        return None
    pairs: list[Any] = []
    for name in fields:
        pairs += [literal(name), _render(table.c[name])]
    return cast(func.json_build_object(*pairs), String)
