"""Query parameters: the types collections share, and the models they are grouped in.

A collection declares its filters once, as a `CollectionParams` model (FastAPI expands it into
query parameters); the list and the export both take it, and the resource's store turns it into
WHERE clauses. `ListParams` is what only a list adds: sort, page size and cursor.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    GetJsonSchemaHandler,
    create_model,
)
from pydantic_core import CoreSchema
from sqlalchemy.ext.asyncio import AsyncSession

from service.records.pagination import Cursor, Limit, SortParam
from service.records.references import check_components
from service.schemas.types import ComponentCode, CountryCode, Day

_RFC3339_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")

ComponentFilter = Annotated[
    list[ComponentCode], Query(max_length=50, description="Owning component; repeat for OR")
]
CountryFilter = Annotated[
    list[CountryCode], Query(max_length=50, description="ISO 3166-1 alpha-2; repeat for OR")
]


def _rfc3339_only(value: object) -> object:
    """pydantic would read `0.5` as a Unix time; the contract says RFC 3339."""
    if isinstance(value, str) and not _RFC3339_START.match(value):
        raise ValueError("expected an RFC 3339 timestamp with offset, e.g. 2024-01-31T00:00:00Z")
    return value


def _in_utc_range(value: datetime) -> datetime:
    """`0001-01-01T00:00:00+14:00` is year 0 in UTC: no database timestamp, so a 422 here."""
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the timestamp is out of range once converted to UTC") from exc
    return value


UpdatedSince = Annotated[
    Annotated[AwareDatetime, BeforeValidator(_rfc3339_only), AfterValidator(_in_utc_range)] | None,
    Query(description="Only records changed at or after this RFC 3339 time (with offset)"),
]
IncludeArchived = Annotated[bool, Query(description="Also list archived records")]
ActiveOn = Annotated[Day | None, Query(description="Only records whose dates cover this day")]


async def check_component_filter(session: AsyncSession, name: str, codes: list[str]) -> None:
    """A filter naming a code that is not a component is a 422, not an empty page."""
    await check_components(session, name, codes, where="query", allow_retired=frozenset(codes))


class CollectionParams(BaseModel):
    """A collection's filters. Subclasses declare theirs, ending with `updated_since` and, for
    archivable records, `include_archived` (declared in each so they come last in the docs)."""


class ListParams(BaseModel):
    """Sort, page size and cursor: what a list takes beyond its filters."""

    sort: SortParam = None
    limit: Limit = 50
    cursor: Cursor = None


def sort_enum(name: str, fields: tuple[str, ...]) -> type[StrEnum]:
    """The `sort` values of one collection: each field and `-field` (an enum in /openapi.json, with
    member names for generated clients: TITLE and TITLE_DESC for `title` and `-title`)."""
    members = {m: v for f in fields for m, v in ((f, f), (f"{f}_desc", f"-{f}"))}
    enum: Any = StrEnum(name, members)  # type: ignore[misc]
    enum.__doc__ = (
        "A sortable field; a leading - sorts descending (nulls first), else ascending (nulls last)."
    )

    def json_schema(core: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        schema = dict(handler(core))
        schema["x-enum-varnames"] = [member.name.upper() for member in enum]
        return schema

    enum.__get_pydantic_json_schema__ = classmethod(lambda cls, core, handler: json_schema(core, handler))
    return enum  # type: ignore[no-any-return]


def list_params(name: str, fields: tuple[str, ...]) -> type[ListParams]:
    """ListParams whose `sort` is the collection's own enum (`name` e.g. "Activities")."""
    choices = sort_enum(f"{name}Sort", fields)
    sort = Annotated[choices | None, Query(description="A sortable field; prefix with - for descending")]  # type: ignore[valid-type]
    return create_model(f"{name}ListParams", __base__=ListParams, sort=(sort, None))
