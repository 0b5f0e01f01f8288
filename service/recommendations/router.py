"""/api/v1/recommendations: thin HTTP over the recommendation store and its status workflow."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from service.auth import CurrentKey
from service.db import SessionDep, SnapshotSessionDep
from service.errors import Conflict, NotFound
from service.recommendations import updates
from service.recommendations.repository import store
from service.recommendations.schemas import (
    StatusUpdateCreate,
    StatusUpdateRead,
)
from service.records import idempotency
from service.records import sql as records
from service.records.audit import jsonable
from service.records.http import READ_ERRORS, WRITE_ERRORS, IdempotencyKey, require_json
from service.records.listing import add_list
from service.records.natural_key import add_natural_key_routes
from service.records.pagination import Cursor, Limit, Page, page_response
from service.records.paths import load
from service.records.routes import add_record_routes

router = APIRouter(prefix="/recommendations", tags=[store.tag])
RecommendationId = Annotated[uuid.UUID, Path(alias="id", description="The recommendation's id")]
add_list(router, store)


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
    current = await load(session, store, recommendation_id, principal, for_update=True)
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
    session: SnapshotSessionDep,
    _: CurrentKey,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """A recommendation's status updates, oldest first, each with who made it."""
    if not await records.exists(session, store.spec, recommendation_id):
        raise NotFound(f"No recommendation {recommendation_id}.")
    return page_response(request, await updates.list_updates(session, recommendation_id, limit, cursor))


add_record_routes(router, store)
add_natural_key_routes(router, store)
