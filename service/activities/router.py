"""/api/v1/activities: thin HTTP over the activity store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service import records
from service.activities.repository import ActivityStore, activity_filters
from service.activities.schemas import ActivityRead
from service.auth import CurrentKey
from service.db import ReadSessionDep
from service.filters import (
    ActiveOn,
    ComponentFilter,
    CountryFilter,
    IncludeArchived,
    UpdatedSince,
    check_component_filter,
)
from service.pagination import Cursor, Limit, Page, SortParam, parse_sort
from service.routes import READ_ERRORS, add_record_routes, list_response
from service.search import SearchQuery
from service.vocab import ActivityStatus, ActivityType

router = APIRouter(prefix="/activities", tags=["activities"])
store = ActivityStore()


@router.get("", response_model=Page[ActivityRead], responses=READ_ERRORS, operation_id="list_activities")
async def list_activities(
    request: Request,
    session: ReadSessionDep,
    _: CurrentKey,
    component: ComponentFilter = [],  # noqa: B006 - FastAPI copies defaults
    country: CountryFilter = [],  # noqa: B006
    type: Annotated[list[ActivityType], Query(max_length=15)] = [],  # noqa: B006
    status: Annotated[list[ActivityStatus], Query(max_length=5)] = [],  # noqa: B006
    partner_country: CountryFilter = [],  # noqa: B006
    active_on: ActiveOn = None,
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    q: SearchQuery = None,
    sort: SortParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """List activities, filtered, searched (q) and sorted (id, created_at, updated_at, identifier, title)."""
    await check_component_filter(session, "component", component)
    order = parse_sort(sort, store.spec.sort_columns(), "id")
    where = activity_filters(
        components=component,
        countries=country,
        types=type,
        statuses=status,
        partner_countries=partner_country,
        active_on=active_on,
        updated_since=updated_since,
    ) + records.live_only(store.spec, include_archived)
    return await list_response(request, session, store, where, order, cursor, limit, q, sort is None)


add_record_routes(router, store)
