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
from service.records.pagination import Cursor, Limit, Page, page_response
from service.records.paths import key_param, load, record_path, title_of
from service.records.read_connection import ReadConnectionDep
from service.records.store import RecordStore


def add_read(router: APIRouter, store: RecordStore) -> None:
    key_type = key_param(store)
    sql = store.lookup_sql

    async def read_json(
        key: key_type, connection: ReadConnectionDep, _: CurrentKey, if_none_match: IfNoneMatch = None
    ) -> Response:
        found = await records.fetch_json(connection, sql, key)
        if found is None:
            raise NotFound(f"No {store.singular} {key}.")
        doc, version = found
        if not_modified(if_none_match, version):
            return not_modified_response(version)
        return Response(doc, media_type="application/json", headers={"ETag": etag(version)})

    async def read_model(
        key: key_type, session: ReadSessionDep, _: CurrentKey, if_none_match: IfNoneMatch = None
    ) -> Response:
        row = await load(session, store, key, for_update=False)
        if not_modified(if_none_match, row["version"]):
            return not_modified_response(row["version"])
        return record_response(store.to_read(row), row["version"])

    # The hottest route: PostgreSQL renders the record on a bare pooled connection when it can.
    read = read_json if sql is not None else read_model
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
        _: CurrentKey,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> JSONResponse:
        if not await records.exists(session, store.spec, key):
            raise NotFound(f"No {store.singular} {key}.")
        return page_response(request, await history_page(session, store.spec.name, str(key), limit, cursor))

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
