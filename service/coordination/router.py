"""/api/v1 coordination views: thin HTTP over the read-only SQL in this package.

Included before the strategic-goals and recommendations routers, so that /strategic-goals/coverage
and /recommendations/summary are not taken for a record's code or id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from service.auth import CurrentKey
from service.coordination import marks
from service.coordination.country import country_profile
from service.coordination.coverage import goal_coverage
from service.coordination.footprint import footprint
from service.coordination.overlaps import OverlapFilter, overlap_page
from service.coordination.schemas import (
    CountryProfile,
    Footprint,
    GoalCoverageView,
    OverlapMarkBody,
    OverlapMarkRead,
    OverlapPair,
    RecommendationSummary,
    TripOverlapPair,
)
from service.coordination.summary import recommendation_summary
from service.coordination.trip_overlaps import decode_after, encode_after, trip_overlap_page
from service.db import SessionDep, SnapshotSessionDep
from service.records.history import HistoryEntry, history_page
from service.records.http import READ_ERRORS, IfMatch, error_responses, record_response, require_json
from service.records.pagination import Cursor, Limit, Page, page_response
from service.records.params import ComponentFilter, CountryFilter, check_component_filter
from service.schemas.types import ComponentCode, CountryCode, CurrencyCode, Day

router = APIRouter(tags=["coordination"])

AsOf = Annotated[
    Day | None,
    Query(description="Only postings whose tour covers this day; travellers abroad on it (default today)"),
]
ActivityId = Annotated[uuid.UUID, Path(description="One activity of the pair (either order)")]
MARK_ERRORS = error_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 503)


@router.get("/footprint", response_model=Footprint, responses=READ_ERRORS, operation_id="get_footprint")
async def get_footprint(
    session: SnapshotSessionDep,
    _: CurrentKey,
    component: ComponentFilter = [],  # noqa: B006 - FastAPI copies defaults
    country: CountryFilter = [],  # noqa: B006
    as_of: AsOf = None,
) -> Footprint:  # counts every posting and trip whatever its marking: nothing in it names one
    """Officials (FTE of filled postings), positions, places, travellers abroad; by component and country."""
    await check_component_filter(session, "component", component)
    return await footprint(session, component, country, as_of)


@router.get(
    "/countries/{code}",
    response_model=CountryProfile,
    responses=READ_ERRORS,
    operation_id="get_country_profile",
)
async def get_country_profile(
    session: SnapshotSessionDep,
    principal: CurrentKey,
    code: Annotated[
        CountryCode, Path(description="ISO 3166-1 alpha-2, upper case (XK for Kosovo); anything else is 422")
    ],
) -> CountryProfile:
    """One country: postings, officials, activities, foreign partners and linked open recommendations."""
    return await country_profile(session, code, principal)


@router.get(
    "/coordination/overlaps",
    response_model=Page[OverlapPair],
    responses=READ_ERRORS,
    operation_id="list_overlaps",
)
async def list_overlaps(
    request: Request,
    session: SnapshotSessionDep,
    principal: CurrentKey,
    country: CountryFilter = [],  # noqa: B006
    component: Annotated[
        list[ComponentCode],
        Query(max_length=50, description="Either activity's lead component; repeat for OR"),
    ] = [],  # noqa: B006
    min_score: Annotated[
        int, Query(ge=0, le=4, description="Only pairs sharing at least this many kinds")
    ] = 0,
    include_marked: Annotated[
        bool, Query(description="Also list acknowledged and deconflicted pairs")
    ] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """Live activities of different components sharing a country and time, best score first (then by
    country and ids); a page may be short while next_cursor continues: follow it until it is null."""
    await check_component_filter(session, "component", component)
    flt = OverlapFilter(
        countries=country,
        components=component,
        min_score=min_score,
        include_marked=include_marked,
        markings=principal.markings,
        editor=principal.editor_component,
    )
    items, next_cursor = await overlap_page(session, flt, cursor, limit)
    return page_response(request, Page[OverlapPair](items=items, next_cursor=next_cursor))


@router.get(
    "/coordination/trip-overlaps",
    response_model=Page[TripOverlapPair],
    responses=READ_ERRORS,
    operation_id="list_trip_overlaps",
)
async def list_trip_overlaps(
    request: Request,
    session: SnapshotSessionDep,
    principal: CurrentKey,
    country: CountryFilter = [],  # noqa: B006
    component: Annotated[
        list[ComponentCode], Query(max_length=50, description="Either trip's component; repeat for OR")
    ] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """Two components' trips not yet over, in one country at once, sharing an activity or a partner."""
    await check_component_filter(session, "component", component)
    after = decode_after(cursor) if cursor else None
    items, last = await trip_overlap_page(session, principal, country, component, after, limit)
    page = Page[TripOverlapPair](items=items, next_cursor=encode_after(last) if last else None)
    return page_response(request, page)


@router.put(
    "/coordination/overlaps/{first}/{second}",
    response_model=OverlapMarkRead,
    responses=MARK_ERRORS,
    operation_id="mark_overlap",
    dependencies=[Depends(require_json)],
)
async def mark_overlap(
    first: ActivityId,
    second: ActivityId,
    body: OverlapMarkBody,
    session: SessionDep,
    principal: CurrentKey,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Mark a pair acknowledged or deconflicted (or open again) with a note (admin only; audited)."""
    principal.ensure_admin()
    mark = await marks.mark_pair(session, principal, marks.ordered(first, second), body, if_match)
    await session.commit()
    return record_response(mark, mark.version)


@router.get(
    "/coordination/overlaps/{first}/{second}/history",
    response_model=Page[HistoryEntry],
    responses=READ_ERRORS,
    operation_id="get_overlap_mark_history",
)
async def get_overlap_mark_history(
    first: ActivityId, second: ActivityId, request: Request, session: SnapshotSessionDep,
    principal: CurrentKey, limit: Limit = 50, cursor: Cursor = None,
) -> JSONResponse:  # fmt: skip
    """Every change to a pair's mark, oldest first."""
    a, b = marks.ordered(first, second)
    await marks.check_visible(session, principal, a, b)
    page = await history_page(session, "overlaps", marks.record_id(a, b), limit, cursor, principal)
    return page_response(request, page)


@router.get(
    "/recommendations/summary",
    response_model=RecommendationSummary,
    responses=READ_ERRORS,
    operation_id="get_recommendation_summary",
)
async def get_recommendation_summary(
    session: SnapshotSessionDep,
    _: CurrentKey,
    as_of: Annotated[
        Day | None, Query(description="Count overdue and age as of this day (default today, UTC)")
    ] = None,
) -> RecommendationSummary:
    """Recommendations by status and component; overdue ones and ones open for over a year."""
    return await recommendation_summary(session, as_of or datetime.now(UTC).date())


@router.get(
    "/strategic-goals/coverage",
    response_model=GoalCoverageView,
    responses=READ_ERRORS,
    operation_id="get_goal_coverage",
)
async def get_goal_coverage(
    session: SnapshotSessionDep,
    principal: CurrentKey,
    currency: Annotated[CurrencyCode, Query(description="Sum estimated costs in this currency")] = "USD",
) -> GoalCoverageView:
    """Live activities and their estimated cost per strategic goal; live activities aligned to none."""
    return await goal_coverage(session, currency, principal)
