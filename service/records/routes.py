"""Route builders for what every record resource does the same way: create (idempotent), merge-patch
update with If-Match, archive and restore; `add_record_routes` adds those and the reads (read_routes).

No `from __future__ import annotations` here: FastAPI reads these closures' annotations at runtime,
and they name the resource's own schemas.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import CurrentKey, Principal
from service.db import SessionDep
from service.errors import Conflict
from service.records import idempotency, write_path
from service.records import sql as records
from service.records.audit import jsonable
from service.records.http import (
    WRITE_ERRORS,
    IdempotencyKey,
    IfMatch,
    check_if_match,
    record_response,
    require_if_match,
    require_json,
)
from service.records.links import redact_links
from service.records.paths import key_param, load, location_of, record_path, title_of
from service.records.read_routes import add_history, add_read
from service.records.spec import Row
from service.records.store import RecordStore


async def load_for_write(
    session: AsyncSession, store: RecordStore, key: Any, principal: Principal, if_match: str | None
) -> Row:
    """The locked record a conditional write applies to: 404, 403, then 428 without If-Match (naming
    the current ETag, which a caller allowed to write may know), then 412."""
    current = await load(session, store, key, principal, for_update=True)
    store.ensure_can_write(principal, current)
    check_if_match(require_if_match(if_match, current["version"]), current["version"])
    return current


def add_create(router: APIRouter, store: RecordStore) -> None:
    body_model: Any = store.create_model

    async def create(
        body: body_model,
        request: Request,
        session: SessionDep,
        principal: CurrentKey,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        values = body.model_dump()
        store.ensure_can_write(principal, values)
        store.check_marking(principal, values, None)
        fingerprint = ""
        if idempotency_key is not None:
            fingerprint = idempotency.request_fingerprint("POST", request.url.path, jsonable(values))
            replay = await idempotency.begin(session, principal, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        response = await write_path.create(
            session,
            store,
            values,
            principal,
            lambda key: location_of(request, key),
            alone=idempotency_key is None,
        )
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


def add_update(router: APIRouter, store: RecordStore, before_write: Callable[..., Any] | None = None) -> None:
    key_type = key_param(store)
    patch_model: Any = store.patch_model

    async def patch(
        key: key_type,
        body: patch_model,
        session: SessionDep,
        principal: CurrentKey,
        if_match: IfMatch = None,
    ) -> Response:
        current = await load_for_write(session, store, key, principal, if_match)
        if current.get("archived_at") is not None:
            raise Conflict(f"The {store.singular} is archived; an admin must restore it first.")
        values = store.merge(current, body)
        store.ensure_can_write(principal, values)
        store.check_marking(principal, values, current)
        await write_path.check_references(session, store, values, current)
        if before_write is not None:
            await before_write(session, current, values)
        response = await write_path.update(session, store, current, values, principal)
        await session.commit()
        return response

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
        current = await load_for_write(session, store, key, principal, if_match)
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
        row = await load(session, store, key, principal, for_update=True)
        if row["archived_at"] is not None:
            await store.check_references(session, store.writable(row), row)
            row = await records.set_archived(session, store.spec, row, False, principal)
        row = await redact_links(session, principal, store.links, row)
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


def add_record_routes(
    router: APIRouter, store: RecordStore, before_write: Callable[..., Any] | None = None
) -> None:
    """Everything but the list: create, read, update, archive, restore, history."""
    # FastAPI tries routes in order, so the hottest (GET by key) goes first; the key's path converter
    # (uuid, or a code that is never import/export) keeps it off the sibling bulk routes, which the
    # app adds after these.
    add_read(router, store)
    add_create(router, store)
    add_update(router, store, before_write)
    if store.spec.archivable:
        add_archive(router, store)
        add_restore(router, store)
    add_history(router, store)
