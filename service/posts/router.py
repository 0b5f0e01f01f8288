"""/api/v1/posts: embassies, consulates and other places abroad (admins write)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service import records
from service.auth import CurrentKey
from service.db import ReadSessionDep
from service.filters import CountryFilter, IncludeArchived, UpdatedSince
from service.pagination import Cursor, Limit, Page, SortParam, parse_sort
from service.posts.repository import PostStore
from service.posts.schemas import PostRead
from service.routes import READ_ERRORS, add_record_routes, list_response
from service.types import Text
from service.vocab import PostType

router = APIRouter(prefix="/posts", tags=["reference data"])
store = PostStore()
TABLE = store.spec.table


@router.get("", response_model=Page[PostRead], responses=READ_ERRORS, operation_id="list_posts")
async def list_posts(
    request: Request,
    session: ReadSessionDep,
    _: CurrentKey,
    country: CountryFilter = [],  # noqa: B006
    city: Annotated[list[Text(100, 1)], Query(max_length=50)] = [],  # noqa: B006
    post_type: Annotated[list[PostType], Query(max_length=5)] = [],  # noqa: B006
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    sort: SortParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """List posts (sort: id, name, created_at, updated_at)."""
    where = records.live_only(store.spec, include_archived)
    if country:
        where.append(TABLE.c.country.in_(country))
    if city:
        where.append(TABLE.c.city.in_(city))
    if post_type:
        where.append(TABLE.c.post_type.in_(post_type))
    if updated_since is not None:
        where.append(TABLE.c.updated_at >= updated_since)
    order = parse_sort(sort, store.spec.sort_columns(), "id")
    return await list_response(request, session, store, where, order, cursor, limit)


add_record_routes(router, store)
