"""Route builders for reading one record: GET by key (with ETag and 304) and its history.

No `from __future__ import annotations` here: FastAPI reads these closures' annotations at runtime.
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.auth import CurrentKey
from service.db import ReadSessionDep
from service.errors import NotFound
from service.records import sql as records
from service.records.history import HistoryEntry, history_page
from service.records.http import (
    READ_ERRORS,
    IfNoneMatch,
    etag,
    not_modified,
    not_modified_response,
    record_response,
)
from service.records.links import redact_links
from service.records.pagination import Cursor, Limit, Page, page_response
from service.records.paths import key_param, load, record_path, title_of
from service.records.read_connection import ReadConnectionDep
from service.records.store import RecordStore


def add_read(router: APIRouter, store: RecordStore) -> None:
    key_type = key_param(store)
    marked = store.spec.marking is not None

    async def read_json(
        key: key_type, connection: ReadConnectionDep, principal: CurrentKey, if_none_match: IfNoneMatch = None
    ) -> Response:
        sql = store.lookup_sql(principal)
        assert sql is not None
        found = await records.fetch_json(connection, sql, key)
        # Row-level security already hides a record above the caller's clearance; the check here
        # keeps the rule when RLS is bypassed. Either way: the same 404 as an id that never existed.
        if found is None or (marked and not principal.can_read(found[2], found[3])):
            raise NotFound(f"No {store.singular} {key}.")
        doc, version = found[0], found[1]
        if not_modified(if_none_match, version):
            return not_modified_response(version)
        return Response(doc, media_type="application/json", headers={"ETag": etag(version)})

    async def read_model(
        key: key_type, session: ReadSessionDep, principal: CurrentKey, if_none_match: IfNoneMatch = None
    ) -> Response:
        row = await load(session, store, key, principal, for_update=False)
        if not_modified(if_none_match, row["version"]):
            return not_modified_response(row["version"])
        row = await redact_links(session, principal, store.links, row)
        return record_response(store.to_read(row), row["version"])

    # The hottest route: PostgreSQL renders the record on a bare pooled connection when it can.
    read = read_json if store.projection is not None else read_model
    read.__doc__ = f"Read {title_of(store)} (archived ones too); sends its ETag."
    router.add_api_route(
        record_path(store),
        read,
        methods=["GET"],
        response_model=store.read_model,
        responses={**READ_ERRORS, 304: {"description": "Not modified"}},
        operation_id=f"get_{store.singular}",
        summary=f"Read {title_of(store)}",
    )


def add_history(router: APIRouter, store: RecordStore) -> None:
    key_type = key_param(store)

    async def history(
        key: key_type,
        request: Request,
        session: ReadSessionDep,
        principal: CurrentKey,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> JSONResponse:
        await load(session, store, key, principal, for_update=False)  # 404 unless the caller sees it
        page = await history_page(session, store.spec.name, str(key), limit, cursor, principal)
        return page_response(request, page)

    history.__doc__ = f"Every change to {title_of(store)}, oldest first."
    router.add_api_route(
        record_path(store, "/history"),
        history,
        methods=["GET"],
        response_model=Page[HistoryEntry],
        responses=READ_ERRORS,
        operation_id=f"get_{store.singular}_history",
        summary=f"History of {title_of(store)}",
    )
