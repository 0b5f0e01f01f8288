"""Query parameters: the types collections share, and the models they are grouped in.

A collection declares its filters once, as a `CollectionParams` model (FastAPI expands it into
query parameters); the list and the export both take it, and the resource's store turns it into
WHERE clauses. `ListParams` is what only a list adds: sort, page size and cursor.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator
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


UpdatedSince = Annotated[
    Annotated[AwareDatetime, BeforeValidator(_rfc3339_only)] | None,
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
