"""Route builders for what every record resource does the same way: create (idempotent), read with
ETag, merge-patch update with If-Match, archive, restore and history.

No `from __future__ import annotations` here: FastAPI reads these closures' annotations at runtime,
and they name the resource's own schemas.
"""

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import Convertor, register_url_convertor

from service import idempotency, records, search
from service.audit import jsonable
from service.auth import CurrentKey
from service.bulk.routes import add_bulk_routes
from service.db import ReadSessionDep, SessionDep
from service.errors import Conflict, NotFound
from service.history import HistoryEntry, history_page
from service.http import (
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    check_if_match,
    error_responses,
    etag,
    not_modified,
    not_modified_response,
    record_response,
    require_if_match,
    require_json,
)
from service.pagination import Cursor, Limit, Page, Sort, link_header
from service.read_connection import ReadConnectionDep
from service.store import RecordStore

WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 503)
READ_ERRORS = error_responses(400, 401, 404, 422, 503)


class CodeConvertor(Convertor[str]):
    """A reference code in a path; never one of the collection's own words (import, export...),
    so `/strategic-goals/import` reaches its own route rather than `/{code}` (which would answer
    PATCH on it with a 415 instead of a 405)."""

    regex = r"(?!(?:import|export|coverage|summary)(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("code", CodeConvertor())


def record_path(store: RecordStore, suffix: str = "") -> str:
    """`/{id:uuid}` or `/{code:code}`: the converters keep sibling words out of the key."""
    converter = "uuid" if store.spec.key == "id" else "code"
    return f"/{{{store.spec.key}:{converter}}}{suffix}"


def title_of(store: RecordStore) -> str:
    """'an activity', 'a strategic goal': for summaries and docstrings."""
    name = store.singular.replace("_", " ")
    return ("an " if name[0] in "aeiou" else "a ") + name


def key_param(store: RecordStore) -> Any:
    """The path parameter type of one record: a UUID, or a reference code."""
    if store.spec.key == "id":
        from uuid import UUID

        return Annotated[UUID, Path(alias="id", description=f"The {store.singular}'s id")]
    return Annotated[str, Path(alias="code", max_length=32, description=f"The {store.singular}'s code")]


async def load(session: Any, store: RecordStore, key: Any, *, for_update: bool) -> records.Row:
    row = await (records.lock if for_update else records.fetch)(session, store.spec, key)
    if row is None:
        raise NotFound(f"No {store.singular} {key}.")
    return row


def location_of(request: Request, key: Any) -> str:
    return f"{str(request.base_url).rstrip('/')}{request.url.path.rstrip('/')}/{key}"


def add_create(router: APIRouter, store: RecordStore) -> None:
    body_model: Any = store.create_model

    async def create(
        body: body_model,
        request: Request,
        session: SessionDep,
        principal: CurrentKey,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        values = body.model_dump()
        store.ensure_can_write(principal, values)
        fingerprint = idempotency.request_fingerprint("POST", request.url.path, jsonable(values))
        replay = await idempotency.begin(session, principal, idempotency_key, fingerprint)
        if replay is not None:
            return replay  # type: ignore[return-value]
        await store.check_references(session, values, None)
        row = await records.create(session, store.spec, values, principal)
        key = row[store.spec.key]
        response = record_response(store.to_read(row), row["version"], 201, location_of(request, key))
        await idempotency.remember(session, principal, idempotency_key, fingerprint, response)
        await session.commit()
        return response

    create.__doc__ = f"Create {title_of(store)}; an Idempotency-Key makes retries safe."
    router.add_api_route(
        "",
        create,
        methods=["POST"],
        status_code=201,
        response_model=store.read_model,
        responses=WRITE_ERRORS,
        operation_id=f"create_{store.singular}",
        summary=f"Create {title_of(store)}",
        dependencies=[Depends(require_json)],
    )


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


def add_update(router: APIRouter, store: RecordStore, before_write: Callable[..., Any] | None = None) -> None:
    key_type = key_param(store)
    patch_model: Any = store.patch_model

    async def patch(
        key: key_type,
        body: patch_model,
        session: SessionDep,
        principal: CurrentKey,
        if_match: IfMatch = None,
    ) -> JSONResponse:
        tag = require_if_match(if_match)
        current = await load(session, store, key, for_update=True)
        store.ensure_can_write(principal, current)
        check_if_match(tag, current["version"])
        if current.get("archived_at") is not None:
            raise Conflict(f"The {store.singular} is archived; an admin must restore it first.")
        values = store.merge(current, body)
        store.ensure_can_write(principal, values)
        await store.check_references(session, values, current)
        if before_write is not None:
            await before_write(session, current, values)
        row = await records.apply_update(session, store.spec, current, values, principal)
        await session.commit()
        return record_response(store.to_read(row), row["version"])

    patch.__doc__ = f"Change {title_of(store)} with a JSON merge patch; needs If-Match."
    router.add_api_route(
        record_path(store),
        patch,
        methods=["PATCH"],
        response_model=store.read_model,
        responses=WRITE_ERRORS,
        operation_id=f"update_{store.singular}",
        summary=f"Update {title_of(store)}",
        dependencies=[Depends(require_json)],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/merge-patch+json": {
                        "schema": {"$ref": f"#/components/schemas/{store.patch_model.__name__}"}
                    }
                },
            }
        },
    )


def add_archive(router: APIRouter, store: RecordStore) -> None:
    key_type = key_param(store)

    async def archive(
        key: key_type, session: SessionDep, principal: CurrentKey, if_match: IfMatch = None
    ) -> Response:
        tag = require_if_match(if_match)
        current = await load(session, store, key, for_update=True)
        store.ensure_can_write(principal, current)
        check_if_match(tag, current["version"])
        if current["archived_at"] is None:
            await store.check_archivable(session, current)
            await records.set_archived(session, store.spec, current, True, principal)
            await session.commit()
        return Response(status_code=204)

    archive.__doc__ = f"Archive {title_of(store)} (nothing is ever deleted); needs If-Match."
    router.add_api_route(
        record_path(store),
        archive,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        responses=WRITE_ERRORS,
        operation_id=f"archive_{store.singular}",
        summary=f"Archive {title_of(store)}",
    )


def add_restore(router: APIRouter, store: RecordStore) -> None:
    key_type = key_param(store)

    async def restore(key: key_type, session: SessionDep, principal: CurrentKey) -> JSONResponse:
        principal.ensure_admin()
        row = await load(session, store, key, for_update=True)
        if row["archived_at"] is not None:
            await store.check_references(session, store.writable(row), row)
            row = await records.set_archived(session, store.spec, row, False, principal)
            await session.commit()
        return record_response(store.to_read(row), row["version"])

    restore.__doc__ = f"Bring back an archived {store.singular.replace('_', ' ')} (admin only)."
    router.add_api_route(
        record_path(store, "/restore"),
        restore,
        methods=["POST"],
        response_model=store.read_model,
        responses=WRITE_ERRORS,
        operation_id=f"restore_{store.singular}",
        summary=f"Restore {title_of(store)}",
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
        exists = await session.scalar(select(store.spec.key_column).where(store.spec.key_column == key))
        if exists is None:
            raise NotFound(f"No {store.singular} {key}.")
        result = await history_page(session, store.spec.name, str(key), limit, cursor)
        return JSONResponse(result.model_dump(mode="json"), headers=link_header(request, result.next_cursor))

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


def add_record_routes(
    router: APIRouter, store: RecordStore, before_write: Callable[..., Any] | None = None
) -> None:
    """Everything but the list: create, read, update, archive, restore, history."""
    # FastAPI tries routes in order, so the hottest (GET by key) goes first; the key's path converter
    # (uuid, or a code that is never import/export) keeps it off the sibling bulk routes.
    add_read(router, store)
    add_bulk_routes(router, store)
    add_create(router, store)
    add_update(router, store, before_write)
    if store.spec.archivable:
        add_archive(router, store)
        add_restore(router, store)
    add_history(router, store)


def page_response(
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
) -> Response:
    """One page of a collection, optionally searched: by relevance when `by_relevance` (no explicit
    sort), else `q` only filters and `sort`'s keyset applies. PostgreSQL renders the rows when the
    resource allows it."""
    if q is not None and not by_relevance:
        where = [*where, search.matches(store.spec.table, q)]
    if store.projection is None:
        if q is not None and by_relevance:
            raise TypeError(f"{store.spec.name}: ranked search needs the JSON projection")
        rows, next_cursor = await records.page(session, store.spec, where, sort, cursor, limit)
        return page_response(request, store, rows, next_cursor)
    if q is not None and by_relevance:
        docs, next_cursor = await search.ranked_page_json(
            session, store.spec, store.projection, where, q, cursor, limit
        )
    else:
        docs, next_cursor = await records.page_json(
            session, store.spec, store.projection, where, sort, cursor, limit
        )
    # The envelope is assembled around the rows' JSON text: nothing is parsed in Python.
    body = '{"items":[' + ",".join(docs) + '],"next_cursor":' + json.dumps(next_cursor) + "}"
    return Response(body, media_type="application/json", headers=link_header(request, next_cursor))
