"""Keyset pagination: opaque cursors, `Page[T]`, and the `Link` header.

A cursor is base64url JSON naming the sort and the last row's sort value and id. Page N costs what
page 1 costs: the next page starts with an index seek on (sort column, id), never an OFFSET.
A cursor that does not decode, or that was made for another sort, is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Date, DateTime, Uuid, tuple_
from sqlalchemy.sql.elements import KeyedColumnElement

from service.errors import BadRequest, invalid

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="Page size, 1..200")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, pattern=r"^[A-Za-z0-9_=-]+$", description="next_cursor of the page before"),
]
SortParam = Annotated[
    str | None, Query(max_length=40, description="A sortable field; prefix with - for descending")
]


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
    raw = value or default
    name = raw.removeprefix("-")
    if name not in allowed:
        choices = ", ".join(sorted(allowed))
        raise invalid(["query", "sort"], f"cannot sort by '{name}'; choose one of: {choices}")
    return Sort(name=name, column=allowed[name], descending=raw.startswith("-"))


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_cursor(sort: Sort, value: Any, row_id: Any) -> str:
    payload = json.dumps(
        {"s": sort.token, "v": _to_json(value), "i": _to_json(row_id)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _typed(column: KeyedColumnElement[Any], value: Any) -> Any:
    if isinstance(column.type, DateTime):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    if isinstance(column.type, Uuid):
        return uuid.UUID(value)
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError("unexpected cursor value")
    return value


def decode_cursor(cursor: str, sort: Sort, id_column: KeyedColumnElement[Any]) -> tuple[Any, Any]:
    """The (sort value, id) a cursor points after; 400 for anything that is not our cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if payload["s"] != sort.token:
            raise BadRequest("The cursor was made for another sort order; start again without it.")
        return _typed(sort.column, payload["v"]), _typed(id_column, payload["i"])
    except BadRequest:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc


def keyset_after(
    sort: Sort, id_column: KeyedColumnElement[Any], after: tuple[Any, Any]
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in (sort, id) order."""
    if sort.column is id_column:
        return id_column < after[1] if sort.descending else id_column > after[1]
    pair = tuple_(sort.column, id_column)
    return pair < tuple_(*after) if sort.descending else pair > tuple_(*after)


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
    url = request.url.include_query_params(cursor=next_cursor)
    return {"Link": f'<{url}>; rel="next"'}


def page_response(request: Request, page: Page[Any]) -> JSONResponse:
    """A page in the standard envelope, with its Link header."""
    return JSONResponse(page.model_dump(mode="json"), headers=link_header(request, page.next_cursor))
