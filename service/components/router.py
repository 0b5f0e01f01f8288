"""/api/v1/components: the reference list of DHS components (admins may add)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service.auth import CurrentKey
from service.components.repository import ComponentStore
from service.components.schemas import ComponentRead
from service.db import ReadSessionDep
from service.filters import UpdatedSince
from service.models import Component
from service.pagination import Cursor, Limit, Page, SortParam, parse_sort
from service.routes import READ_ERRORS, add_record_routes, list_response

router = APIRouter(prefix="/components", tags=["reference data"])
store = ComponentStore()
TABLE = Component.__table__


@router.get("", response_model=Page[ComponentRead], responses=READ_ERRORS, operation_id="list_components")
async def list_components(
    request: Request,
    session: ReadSessionDep,
    _: CurrentKey,
    active: Annotated[bool | None, Query(description="Only active (or only retired) ones")] = None,
    updated_since: UpdatedSince = None,
    sort: SortParam = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """List DHS components, sorted by code unless asked otherwise (code, name, updated_at)."""
    where = []
    if active is not None:
        where.append(TABLE.c.active.is_(active))
    if updated_since is not None:
        where.append(TABLE.c.updated_at >= updated_since)
    order = parse_sort(sort, store.spec.sort_columns(), "code")
    return await list_response(request, session, store, where, order, cursor, limit)


add_record_routes(router, store)
