"""Collection pages: the list route every resource gets, and the page it answers with.

No `from __future__ import annotations` here: FastAPI reads these closures' annotations at runtime,
and they name the resource's own parameter model.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import CurrentKey, Principal
from service.db import ReadSessionDep, SnapshotSessionDep
from service.records import search
from service.records import sql as records
from service.records.http import READ_ERRORS, error_responses
from service.records.pagination import Page, Sort, link_header, parse_sort
from service.records.params import list_params
from service.records.store import RecordStore
from service.web.admission import caller


def add_list(router: APIRouter, store: RecordStore) -> None:
    """GET on the collection: its filters, then sort, limit and cursor; `q` ranks unless sorted."""
    params_model: Any = store.params
    listing_model: Any = list_params(store.spec.name.title().replace("-", ""), store.spec.sortable)
    searchable = "q" in store.params.model_fields

    async def answer(
        request: Request,
        session: AsyncSession,
        principal: Principal,
        params: Any,
        listing: Any,
        search_session: AsyncSession | None = None,
    ) -> Response:
        order = parse_sort(listing.sort, store.spec.sort_columns(), store.default_sort)
        q = getattr(params, "q", None)
        projection = store.projection_for(principal)  # links to records the caller may not see left out
        if q is None or search_session is None:
            where = await store.selection(session, params, principal)
            where += store.seek_where(params, principal, order, listing.cursor, listing.limit)
            return await list_response(
                request, session, store, where, order, listing.cursor, listing.limit, projection=projection
            )
        # A search is an expensive request: admitted per caller before it touches the database, then
        # everything on one connection (its own session) under its own short statement timeout.
        gate, timeout_ms = (
            request.app.state.gates.search,
            request.app.state.settings.search_statement_timeout_ms,
        )
        async with gate.admitted(caller(principal)), search.bounded(search_session, timeout_ms):
            where = await store.selection(search_session, params, principal)
            return await list_response(
                request,
                search_session,
                store,
                where,
                order,
                listing.cursor,
                listing.limit,
                q,
                listing.sort is None,
                projection,
            )

    async def list_records(
        request: Request,
        session: ReadSessionDep,
        principal: CurrentKey,
        params: Annotated[params_model, Query()],
        listing: Annotated[listing_model, Query()],
    ) -> Response:
        return await answer(request, session, principal, params, listing)

    async def search_records(
        request: Request,
        session: ReadSessionDep,
        principal: CurrentKey,
        params: Annotated[params_model, Query()],
        listing: Annotated[listing_model, Query()],
        search_session: SnapshotSessionDep,
    ) -> Response:
        # A transactional session of its own: the search's statement timeout is SET LOCAL.
        return await answer(request, session, principal, params, listing, search_session)

    endpoint = search_records if searchable else list_records
    name = store.spec.name.replace("-", "_")
    endpoint.__doc__ = store.list_doc
    endpoint.__name__ = f"list_{name}"  # FastAPI's summary: "List Strategic Goals"
    router.add_api_route(
        "",
        endpoint,
        methods=["GET"],
        response_model=Page[store.read_model],  # type: ignore[name-defined]
        responses={**READ_ERRORS, **error_responses(429)} if searchable else READ_ERRORS,
        operation_id=f"list_{name}",
    )


def rows_page_response(
    request: Request, store: RecordStore, rows: list[records.Row], next_cursor: str | None
) -> JSONResponse:
    """A collection page in the standard envelope, with its Link header."""
    body = {
        "items": [store.to_read(r).model_dump(mode="json") for r in rows],
        "next_cursor": next_cursor,
    }
    return JSONResponse(body, headers=link_header(request, next_cursor))


async def list_response(
    request: Request,
    session: AsyncSession,
    store: RecordStore,
    where: list[ColumnElement[bool]],
    sort: Sort,
    cursor: str | None,
    limit: int,
    q: str | None = None,
    by_relevance: bool = False,
    projection: ColumnElement[str] | None = None,
) -> Response:
    """One page of a collection, optionally searched: by relevance when `by_relevance` (no explicit
    sort), else `q` only filters and `sort`'s keyset applies. PostgreSQL renders the rows when the
    resource allows it (`projection`: the caller's, service.records.store.RecordStore.projection_for)."""
    projection = projection if projection is not None else store.projection
    if q is not None and not by_relevance:
        where = [*where, search.matches(store.spec.table, q)]
    if projection is None:
        if q is not None and by_relevance:
            raise TypeError(f"{store.spec.name}: ranked search needs the JSON projection")
        rows, next_cursor = await records.page(session, store.spec, where, sort, cursor, limit)
        return rows_page_response(request, store, rows, next_cursor)
    headers: dict[str, str] = {}
    if q is not None and by_relevance:
        rank_limit = request.app.state.settings.search_rank_limit
        docs, next_cursor, order = await search.ranked_page_json(
            session, store.spec, projection, where, q, cursor, limit, rank_limit
        )
        headers[search.ORDER_HEADER] = "relevance" if order == search.RANK_SORT else "recency"
    else:
        docs, next_cursor = await records.page_json(
            session, store.spec, projection, where, sort, cursor, limit
        )
    # The envelope is assembled around the rows' JSON text: nothing is parsed in Python.
    body = '{"items":[' + ",".join(docs) + '],"next_cursor":' + json.dumps(next_cursor) + "}"
    headers.update(link_header(request, next_cursor))
    return Response(body, media_type="application/json", headers=headers)
