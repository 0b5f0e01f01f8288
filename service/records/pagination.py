"""Keyset pagination: sorts, cursors, the seek conditions, `Page[T]`, and the `Link` header.

A cursor (service.records.cursor: signed, typed, bounded) names the sort and the last row's sort
value and id. Page N costs what page 1 costs: the next page starts with an index seek on
(sort column, id), never an OFFSET. A cursor that does not verify, or was made for another sort, is a 400.

Nullable sort columns: nulls come last ascending and first descending (PostgreSQL's default, so a
plain (column, id) btree serves both directions). A row comparison never matches a null, so the rows
after a cursor are one or two index ranges (`keyset_segments`): e.g. ascending from a non-null
value, the rest of the non-null rows and then every null row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, String, and_, cast, func, literal, or_, select, tuple_
from sqlalchemy.sql.elements import KeyedColumnElement

from service.errors import BadRequest, invalid
from service.records.cursor import Truncated, decode_value, encode_value, seal, unseal
from service.web.urls import this_url_with

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="Page size, 1..200")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, pattern=r"^[A-Za-z0-9_=-]+$", description="next_cursor of the page before"),
]
SortParam = Annotated[
    str | None, Query(max_length=40, description="A sortable field; prefix with - for descending")
]
# Above every character PostgreSQL stores: a prefix followed by it sorts after any string with that prefix.
_HIGHEST = "\U0010ffff"


class Page(BaseModel, Generic[T]):
    """Every list-shaped response: the items and where the next page starts (null on the last)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Sort:
    name: str
    column: KeyedColumnElement[Any]
    descending: bool

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.name


def parse_sort(value: str | None, allowed: dict[str, KeyedColumnElement[Any]], default: str) -> Sort:
    """`field` or `-field` from the documented set, else 422 naming the choices."""
    raw = str(value or default)
    name = raw.removeprefix("-")
    if name not in allowed:
        choices = ", ".join(sorted(allowed))
        raise invalid(["query", "sort"], f"cannot sort by '{name}'; choose one of: {choices}")
    return Sort(name=name, column=allowed[name], descending=raw.startswith("-"))


def _scope(id_column: KeyedColumnElement[Any]) -> str:
    table = getattr(id_column, "table", None)
    return str(getattr(table, "name", "")) or id_column.key or ""


def encode_cursor(sort: Sort, value: Any, row_id: Any) -> str:
    """The cursor of the page after the row (value, id) in this sort."""
    payload = {"s": sort.token, "v": encode_value(value), "i": encode_value(row_id)}
    return seal(_scope(sort.column), payload)


def decode_cursor(cursor: str, sort: Sort, id_column: KeyedColumnElement[Any]) -> tuple[Any, Any]:
    """The (sort value, id) a cursor points after (a long string value as `Truncated`); 400 for
    anything that is not our cursor for this sort."""
    payload = unseal(_scope(id_column), cursor)
    if payload.get("s") != sort.token:
        raise BadRequest("The cursor was made for another sort order; start again without it.")
    try:
        return decode_value(sort.column, payload.get("v")), decode_value(id_column, payload.get("i"))
    except (ValueError, TypeError, KeyError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc


def _seek_value(sort: Sort, id_column: KeyedColumnElement[Any], value: Any, row_id: Any) -> Any:
    """A truncated value is read back from the row the cursor names, if that row still has it (its
    digest matches); otherwise (the row was edited since) a bound from the prefix that can repeat a
    few rows but never skips one: the prefix itself ascending, the prefix + the highest character
    descending."""
    if not isinstance(value, Truncated):
        return value
    column = sort.column
    digest = func.left(func.encode(func.sha256(func.convert_to(column, "UTF8")), "hex"), len(value.digest))
    exact = select(column).where(id_column == row_id, digest == value.digest).scalar_subquery()
    fallback = value.prefix + _HIGHEST if sort.descending else value.prefix
    return func.coalesce(exact, cast(literal(fallback), String))


def keyset_segments(
    sort: Sort, id_column: KeyedColumnElement[Any], after: tuple[Any, Any]
) -> list[ColumnElement[bool]]:
    """The rows strictly after the cursor in (sort, id) order, as index ranges to read in turn."""
    value, row_id = after
    column = sort.column
    if column is id_column:
        return [id_column < row_id if sort.descending else id_column > row_id]
    nullable = bool(getattr(column, "nullable", False))
    if value is None:  # inside the null rows: last ascending, first descending
        if sort.descending:
            return [and_(column.is_(None), id_column < row_id), column.is_not(None)]
        return [and_(column.is_(None), id_column > row_id)]
    bound = tuple_(_seek_value(sort, id_column, value, row_id), row_id)
    if sort.descending:
        return [tuple_(column, id_column) < bound]
    segments = [tuple_(column, id_column) > bound]
    return [*segments, column.is_(None)] if nullable else segments


def keyset_after(
    sort: Sort, id_column: KeyedColumnElement[Any], after: tuple[Any, Any]
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in (sort, id) order, as one condition (for NOT NULL columns
    it is one index range; see keyset_segments for pages that must stay index ranges with nulls)."""
    segments = keyset_segments(sort, id_column, after)
    return segments[0] if len(segments) == 1 else or_(*segments)


def order_by(sort: Sort, id_column: KeyedColumnElement[Any]) -> list[Any]:
    if sort.column is id_column:
        return [id_column.desc() if sort.descending else id_column.asc()]
    if sort.descending:
        return [sort.column.desc(), id_column.desc()]
    return [sort.column.asc(), id_column.asc()]


def link_header(request: Request, next_cursor: str | None) -> dict[str, str]:
    """`Link: <...>; rel="next"` carrying the same filters, or nothing on the last page."""
    if next_cursor is None:
        return {}
    return {"Link": f'<{this_url_with(request, cursor=next_cursor)}>; rel="next"'}


def page_response(request: Request, page: Page[Any]) -> JSONResponse:
    """A page in the standard envelope, with its Link header."""
    return JSONResponse(page.model_dump(mode="json"), headers=link_header(request, page.next_cursor))
