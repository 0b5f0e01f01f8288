"""/api/v1/recommendations: thin HTTP over the recommendation store and its status workflow."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from service import idempotency, records
from service.audit import jsonable
from service.auth import CurrentKey
from service.db import ReadSessionDep, SessionDep
from service.errors import Conflict, NotFound
from service.filters import ComponentFilter, IncludeArchived, UpdatedSince, check_component_filter
from service.http import IdempotencyKey, require_json
from service.pagination import Cursor, Limit, Page, SortParam, link_header, parse_sort
from service.recommendations import updates
from service.recommendations.repository import RecommendationStore, recommendation_filters
from service.recommendations.schemas import (
    RecommendationRead,
    ReportNumber,
    StatusUpdateCreate,
    StatusUpdateRead,
)
from service.routes import READ_ERRORS, WRITE_ERRORS, add_record_routes, list_response, load
from service.search import SearchQuery
from service.vocab import RecommendationStatus

router = APIRouter(prefix="/recommendations", tags=["recommendations"])
store = RecommendationStore()
RecommendationId = Annotated[uuid.UUID, Path(alias="id", description="The recommendation's id")]


@router.get(
    "", response_model=Page[RecommendationRead], responses=READ_ERRORS, operation_id="list_recommendations"
)
async def list_recommendations(
    request: Request,
    session: ReadSessionDep,
    _: CurrentKey,
    status: Annotated[list[RecommendationStatus], Query(max_length=4)] = [],  # noqa: B006
    responsible_component: ComponentFilter = [],  # noqa: B006
    report_number: Annotated[list[ReportNumber], Query(max_length=50)] = [],  # noqa: B006
    priority: Annotated[bool | None, Query(description="Only priority (or non-priority) ones")] = None,
    overdue: Annotated[bool | None, Query(description="true: target date passed and not closed")] = None,
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    q: SearchQuery = None,
    sort: SortParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """List recommendations, filtered, searched (q) and sorted (id, created_at, updated_at, report_date,
    report_number, number)."""
    await check_component_filter(session, "responsible_component", responsible_component)
    order = parse_sort(sort, store.spec.sort_columns(), "id")
    where = recommendation_filters(
        statuses=status,
        components=responsible_component,
        report_numbers=report_number,
        priority=priority,
        overdue=overdue,
        updated_since=updated_since,
    ) + records.live_only(store.spec, include_archived)
    return await list_response(request, session, store, where, order, cursor, limit, q, sort is None)


@router.post(
    "/{id}/updates",
    status_code=201,
    response_model=StatusUpdateRead,
    responses=WRITE_ERRORS,
    operation_id="create_recommendation_update",
    dependencies=[Depends(require_json)],
)
async def create_recommendation_update(
    recommendation_id: RecommendationId,
    body: StatusUpdateCreate,
    request: Request,
    session: SessionDep,
    principal: CurrentKey,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Move a recommendation's status (the only way it moves); editors only for their component's."""
    current = await load(session, store, recommendation_id, for_update=True)
    principal.ensure_can_write(current["responsible_component"])
    fingerprint = idempotency.request_fingerprint("POST", request.url.path, jsonable(body.model_dump()))
    replay = await idempotency.begin(session, principal, idempotency_key, fingerprint)
    if replay is not None:
        return replay  # type: ignore[return-value]
    if current["archived_at"] is not None:
        raise Conflict("The recommendation is archived; an admin must restore it first.")
    updates.check_move(principal, current["status"], body.to_status)
    row = await updates.insert_update(session, current, body, principal)
    response = JSONResponse(updates.to_read(row).model_dump(mode="json"), status_code=201)
    await idempotency.remember(session, principal, idempotency_key, fingerprint, response)
    await updates.move_status(session, store.spec, current, row, principal)
    await session.commit()
    return response


@router.get(
    "/{id}/updates",
    response_model=Page[StatusUpdateRead],
    responses=READ_ERRORS,
    operation_id="list_recommendation_updates",
)
async def list_recommendation_updates(
    recommendation_id: RecommendationId,
    request: Request,
    session: SessionDep,
    _: CurrentKey,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """A recommendation's status updates, oldest first, each with who made it."""
    key = store.spec.key_column
    if await session.scalar(select(key).where(key == recommendation_id)) is None:
        raise NotFound(f"No recommendation {recommendation_id}.")
    page = await updates.list_updates(session, recommendation_id, limit, cursor)
    return JSONResponse(page.model_dump(mode="json"), headers=link_header(request, page.next_cursor))


add_record_routes(router, store)
