"""Small WHERE builders the resources' filters share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, literal, or_
from sqlalchemy.dialects.postgresql import ARRAY

from service.auth import Principal
from service.records.spec import ResourceSpec

Where = list[ColumnElement[bool]]


def any_of(pairs: Iterable[tuple[Any, Sequence[Any]]]) -> Where:
    """`column IN (values)` for each (column, values) pair whose values are not empty."""
    return [column.in_(values) for column, values in pairs if values]


def one_of(column: Any, values: Any) -> ColumnElement[bool]:
    """`column = ANY($1)` with one array parameter, not an IN list of thousands of parameters."""
    return column == any_(literal(list(values), ARRAY(column.type)))


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
    condition: ColumnElement[bool] = marking == any_(literal(principal.markings, ARRAY(String)))
    if principal.editor_component:
        condition = or_(condition, owner == principal.editor_component)
    return condition
