"""Small WHERE builders the resources' filters share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

Where = list[ColumnElement[bool]]


def any_of(pairs: Iterable[tuple[Any, Sequence[Any]]]) -> Where:
    """`column IN (values)` for each (column, values) pair whose values are not empty."""
    return [column.in_(values) for column, values in pairs if values]


def covers_day(start: Any, end: Any, day: date) -> ColumnElement[bool]:
    """The record's dates include `day` (an open start or end runs forever)."""
    return and_(or_(start.is_(None), start <= day), or_(end.is_(None), end >= day))
