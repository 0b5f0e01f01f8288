"""/api/v1/postings: thin HTTP over the posting store."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service import records
from service.auth import CurrentKey
from service.db import ReadSessionDep
from service.filters import (
    ComponentFilter,
    CountryFilter,
    IncludeArchived,
    UpdatedSince,
    check_component_filter,
)
from service.pagination import Cursor, Limit, Page, SortParam, parse_sort
from service.postings.repository import PostingStore, posting_filters
from service.postings.schemas import PostingRead
from service.routes import READ_ERRORS, add_record_routes, list_response
from service.types import Text
from service.vocab import EmploymentCategory, Nsdd38Status, PostingRole, PostingStatus

router = APIRouter(prefix="/postings", tags=["postings"])
store = PostingStore()


@router.get("", response_model=Page[PostingRead], responses=READ_ERRORS, operation_id="list_postings")
async def list_postings(
    request: Request,
    session: ReadSessionDep,
    _: CurrentKey,
    component: ComponentFilter = [],  # noqa: B006 - FastAPI copies defaults
    country: CountryFilter = [],  # noqa: B006
    post_id: Annotated[list[uuid.UUID], Query(max_length=50)] = [],  # noqa: B006
    city: Annotated[list[Text(100, 1)], Query(max_length=50)] = [],  # noqa: B006
    status: Annotated[list[PostingStatus], Query(max_length=5)] = [],  # noqa: B006
    role: Annotated[list[PostingRole], Query(max_length=6)] = [],  # noqa: B006
    employment_category: Annotated[list[EmploymentCategory], Query(max_length=4)] = [],  # noqa: B006
    nsdd38_status: Annotated[list[Nsdd38Status], Query(max_length=6)] = [],  # noqa: B006
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    sort: SortParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """List postings, filtered and sorted (id, created_at, updated_at, position_number)."""
    await check_component_filter(session, "component", component)
    order = parse_sort(sort, store.spec.sort_columns(), "id")
    where = posting_filters(
        components=component,
        countries=country,
        post_ids=post_id,
        cities=city,
        statuses=status,
        roles=role,
        categories=employment_category,
        nsdd38_statuses=nsdd38_status,
        updated_since=updated_since,
    ) + records.live_only(store.spec, include_archived)
    return await list_response(request, session, store, where, order, cursor, limit)


add_record_routes(router, store)
