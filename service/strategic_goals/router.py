"""/api/v1/strategic-goals: the goals activities align to (admins write)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service import records
from service.auth import CurrentKey
from service.db import ReadSessionDep
from service.filters import IncludeArchived, UpdatedSince
from service.pagination import Cursor, Limit, Page, SortParam, parse_sort
from service.routes import READ_ERRORS, add_record_routes, list_response
from service.strategic_goals.repository import StrategicGoalStore
from service.strategic_goals.schemas import StrategicGoalRead
from service.types import Text

router = APIRouter(prefix="/strategic-goals", tags=["reference data"])
store = StrategicGoalStore()
TABLE = store.spec.table


@router.get(
    "",
    response_model=Page[StrategicGoalRead],
    responses=READ_ERRORS,
    operation_id="list_strategic_goals",
)
async def list_strategic_goals(
    request: Request,
    session: ReadSessionDep,
    _: CurrentKey,
    framework: Annotated[list[Text(50, 1)], Query(max_length=20)] = [],  # noqa: B006
    updated_since: UpdatedSince = None,
    include_archived: IncludeArchived = False,
    sort: SortParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """List strategic goals (sort: code, framework, updated_at)."""
    where = records.live_only(store.spec, include_archived)
    if framework:
        where.append(TABLE.c.framework.in_(framework))
    if updated_since is not None:
        where.append(TABLE.c.updated_at >= updated_since)
    order = parse_sort(sort, store.spec.sort_columns(), "code")
    return await list_response(request, session, store, where, order, cursor, limit)


add_record_routes(router, store)
