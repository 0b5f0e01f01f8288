"""/api/v1/deadlines: thin HTTP over the deadline SQL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service.auth import CurrentKey
from service.db import ReadSessionDep
from service.deadlines.cursor import decode_after
from service.deadlines.repository import deadline_page
from service.deadlines.schemas import Deadline, DeadlineKind
from service.records.http import READ_ERRORS
from service.records.pagination import Cursor, Limit, Page, page_response
from service.records.params import check_component_filter
from service.schemas.types import ComponentCode

router = APIRouter(tags=["deadlines"])


@router.get("/deadlines", response_model=Page[Deadline], responses=READ_ERRORS, operation_id="list_deadlines")
async def list_deadlines(
    request: Request,
    session: ReadSessionDep,
    principal: CurrentKey,
    within_days: Annotated[
        int, Query(ge=0, le=3650, description="Due within this many days from today; overdue ones always")
    ] = 90,
    component: Annotated[
        list[ComponentCode],
        Query(max_length=50, description="The owning (or responsible) component; repeat for OR"),
    ] = [],  # noqa: B006 - FastAPI copies defaults
    kind: Annotated[list[DeadlineKind], Query(max_length=5, description="Repeat for OR")] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    """What comes due, soonest first (overdue first of all): recommendation targets and A-50
    resolutions, tours ending, NSDD-38 decisions and trips' country clearances."""
    await check_component_filter(session, "component", component)
    after = decode_after(cursor) if cursor else None
    rows, next_cursor = await deadline_page(session, principal, within_days, component, kind, after, limit)
    items = [Deadline.model_validate(row.model_dump(exclude={"component"})) for row in rows]
    return page_response(request, Page[Deadline](items=items, next_cursor=next_cursor))
