"""Small WHERE builders the resources' filters share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, literal, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from service.auth import Principal
from service.records.spec import ResourceSpec

Where = list[ColumnElement[bool]]
_TEXT = String()


def any_of(pairs: Iterable[tuple[Any, Sequence[Any]]]) -> Where:
    """`column = ANY($1)` for each (column, values) pair whose values are not empty."""
    return [one_of(column, values) for column, values in pairs if values]


def one_of(column: Any, values: Any) -> ColumnElement[bool]:
    """`column = ANY($1)` with one array parameter, not an IN list of thousands of parameters
    (whose SQL, one placeholder per value, would have to be rendered again for every request)."""
    return column == any_(literal(list(values), _array_of(column.type)))


@cache
def _array_of(item: TypeEngine[Any]) -> ARRAY[Any]:
    # One type object per column type: SQLAlchemy memoises a type's part of the statement cache key
    # on the object, so a new ARRAY(...) per request would be hashed again every time.
    return ARRAY(item)


def covers_day(start: Any, end: Any, day: date) -> ColumnElement[bool]:
    """The record's dates include `day` (an open start or end runs forever)."""
    return and_(or_(start.is_(None), start <= day), or_(end.is_(None), end >= day))


def visible_where(spec: ResourceSpec, principal: Principal, table: Any = None) -> Where:
    """The clearance rule (service.auth.Principal.can_read) as SQL over `table` (default: the
    resource's own), e.g. a per-country row that copies the marking and owner columns."""
    if spec.marking is None:
        return []
    columns = (table if table is not None else spec.table).c
    marking, owner = spec.marking
    return [readable(principal, columns[marking], columns[owner])]


def readable(principal: Principal, marking: Any, owner: Any) -> ColumnElement[bool]:
    """`marking` within the principal's clearance, or `owner` its own component (editors)."""
    # `= ANY(array)`, not IN: one parameter, and it renders as a literal in precompiled SQL.
    condition: ColumnElement[bool] = marking == any_(literal(principal.markings, _array_of(_TEXT)))
    if principal.editor_component:
        condition = or_(condition, owner == principal.editor_component)
    return condition
