"""Route builders for the integrator's own key: `GET` and `PUT /<collection>/<segment>/<key...>`
(e.g. /activities/by-identifier/{identifier}); a resource opts in by naming a NaturalKey in its spec.

No `from __future__ import annotations` here: FastAPI reads these closures' annotations at runtime.
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse, Response

from service.auth import CurrentKey
from service.db import ReadSessionDep, SessionDep
from service.errors import NotFound
from service.records import idempotency
from service.records.audit import jsonable
from service.records.http import (
    READ_ERRORS,
    WRITE_ERRORS,
    IdempotencyKey,
    IfNoneMatch,
    not_modified,
    not_modified_response,
    record_response,
    require_json,
)
from service.records.links import redact_links
from service.records.paths import title_of
from service.records.store import RecordStore
from service.records.upsert import Outcome, fetch_by_key, natural_key, put
from service.web.urls import public_url

IfMatchOptional = Annotated[
    str | None,
    Header(
        max_length=100,
        description='Optional: the ETag your replacement is based on, e.g. "3"; a stale one is 412',
    ),
]


def key_path(store: RecordStore) -> str:
    """`/by-identifier/{identifier:path}`; with two columns the first may hold slashes, the last not."""
    key = natural_key(store)
    parts = [
        f"{{{column}:path}}" if index < len(key.columns) - 1 or len(key.columns) == 1 else f"{{{column}}}"
        for index, column in enumerate(key.columns)
    ]
    return f"/{key.segment}/" + "/".join(parts)


def key_dependency(store: RecordStore) -> Callable[..., dict[str, Any]]:
    """A dependency taking the key's path parameters (typed as the create schema types them)."""
    fields = store.create_model.model_fields
    parameters = [
        inspect.Parameter(
            column,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                fields[column].annotation, Path(description=f"The {store.singular}'s {column}")
            ],
        )
        for column in natural_key(store).columns
    ]

    def key_of(**values: Any) -> dict[str, Any]:
        return values

    key_of.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return key_of


def _location(request: Request, marker: str, record_id: Any) -> str:
    """The new record's canonical URL (by id): the path up to the collection, then the id (the
    first occurrence of `/<collection>/<segment>/` is the route's own; a key may repeat it)."""
    path = request.url.path
    collection = path[: path.index(marker) + len(marker.split("/")[1]) + 1]
    return public_url(request, f"{collection}/{record_id}")


def _described(key: dict[str, Any]) -> str:
    return " ".join(str(value) for value in key.values())


def add_natural_key_routes(router: APIRouter, store: RecordStore) -> None:
    """GET and PUT by the natural key, when the store has one."""
    if store.spec.natural_key is None:
        return
    add_get_by_key(router, store)
    add_put_by_key(router, store)


def add_get_by_key(router: APIRouter, store: RecordStore) -> None:
    Key = Annotated[dict[str, Any], Depends(key_dependency(store))]
    key = natural_key(store)

    async def get_by_key(
        key: Key, session: ReadSessionDep, principal: CurrentKey, if_none_match: IfNoneMatch = None
    ) -> Response:
        row = await fetch_by_key(session, store, key, lock=False)
        if row is None or not store.can_read(principal, row):
            raise NotFound(f"No {store.singular.replace('_', ' ')} {_described(key)}.")
        if not_modified(if_none_match, row["version"]):
            return not_modified_response(row["version"])
        row = await redact_links(session, principal, store.links, row)
        return record_response(store.to_read(row), row["version"])

    get_by_key.__doc__ = f"Read {title_of(store)} by its {' and '.join(key.columns)}; sends its ETag."
    router.add_api_route(
        key_path(store),
        get_by_key,
        methods=["GET"],
        response_model=store.read_model,
        responses={**READ_ERRORS, 304: {"description": "Not modified"}},
        operation_id=f"get_{store.singular}_{key.segment.replace('-', '_')}",
        summary=f"Read {title_of(store)} by its own key",
    )


def add_put_by_key(router: APIRouter, store: RecordStore) -> None:
    Key = Annotated[dict[str, Any], Depends(key_dependency(store))]
    body_model: Any = store.create_model
    key = natural_key(store)
    key_segment = key.segment

    async def put_by_key(
        key: Key,
        body: body_model,
        request: Request,
        session: SessionDep,
        principal: CurrentKey,
        if_match: IfMatchOptional = None,
        if_none_match: IfNoneMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        values = body.model_dump()
        fingerprint = idempotency.request_fingerprint("PUT", request.url.path, jsonable(values))
        replay = await idempotency.begin(session, principal, idempotency_key, fingerprint)
        if replay is not None:
            return replay  # type: ignore[return-value]
        given = if_match if if_match and if_match.strip() else None
        row, outcome = await put(
            session, store, key, values, principal, if_match=given, if_none_match=if_none_match
        )
        row = await redact_links(session, principal, store.links, row)
        if outcome is Outcome.created:
            location = _location(request, f"/{store.spec.name}/{key_segment}/", row[store.spec.key])
            response = record_response(store.to_read(row), row["version"], 201, location)
        else:
            response = record_response(store.to_read(row), row["version"])
        await idempotency.remember(session, principal, idempotency_key, fingerprint, response)
        await session.commit()
        return response

    put_by_key.__doc__ = (
        f"Create or replace {title_of(store)} by its {' and '.join(key.columns)}: the whole record, as for "
        "create (fields left out take their defaults; a key in the body must equal the path's, else 422). "
        "No record with this key: 201 with Location and ETag. One exists: replaced, 200 with its new "
        "version and an `update` in its history naming the changed fields; identical: 200, same version, "
        "nothing written. If-Match is optional (stale, or no record with this key: 412); If-None-Match: * "
        "only creates (412 when it exists). Archived: 409. Editors write only their component's records "
        "and cannot move one to another owner (403); a key held by a record the caller may not see: 409."
    )
    router.add_api_route(
        key_path(store),
        put_by_key,
        methods=["PUT"],
        response_model=store.read_model,
        responses={201: {"description": "Created", "model": store.read_model}, **WRITE_ERRORS},
        operation_id=f"put_{store.singular}_{key.segment.replace('-', '_')}",
        summary=f"Create or replace {title_of(store)} by its own key",
        dependencies=[Depends(require_json)],
    )
