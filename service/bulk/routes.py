"""GET /<resource>/export and POST /<resource>/import for every record resource.

No `from __future__ import annotations`: FastAPI reads these closures' annotations at runtime.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from service.auth import CurrentKey
from service.bulk.export import MEDIA_TYPES, BulkFormat, open_export
from service.bulk.importer import ensure_may_import, import_rows
from service.bulk.settings import get_bulk_settings
from service.bulk.sources import body_chunks, import_format, rows_from
from service.bulk.upsert import upsert_rows, upsert_supported
from service.db import SessionDep, SnapshotSessionDep
from service.errors import invalid
from service.records.http import error_responses
from service.records.search import matches
from service.records.store import RecordStore
from service.web.admission import Ticket, caller


class AdmittedStream(StreamingResponse):
    """A streamed export that gives its admission slot back however the stream ends."""

    def __init__(self, ticket: Ticket, content: AsyncIterator[bytes], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.ticket = ticket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ticket.release()


class ImportMode(StrEnum):
    create = "create"
    upsert = "upsert"


class ImportResult(BaseModel):
    created: int = Field(description="Records created", examples=[90000])
    updated: int = Field(description="Existing records replaced by a different row (upsert)", examples=[0])
    unchanged: int = Field(description="Existing records identical to their row: untouched", examples=[0])
    imported: int | None = Field(
        default=None, description="mode=create only: the same as `created` (the 1.0 answer)", examples=[90000]
    )


ModeParam = Annotated[
    ImportMode,
    Query(
        description="create (default): every row is a new record, a key that exists is a 409. upsert: a "
        "row whose key exists replaces that record (identical ones are left untouched), the rest are "
        "created; for resources with their own key (activities, postings, recommendations, trips)"
    ),
]


ExportFormat = Annotated[BulkFormat, Query(alias="format", description="csv (RFC 4180) or ndjson")]


def add_export(router: APIRouter, store: RecordStore) -> None:
    params_model: Any = store.params

    # A transactional read session (a standby's when one is fresh enough), not the autocommit one:
    # the server-side cursor needs a transaction, which also gives the whole export one snapshot.
    async def export(
        request: Request,
        session: SnapshotSessionDep,
        principal: CurrentKey,
        fmt: ExportFormat = BulkFormat.csv,
        params: Annotated[params_model, Query()] = None,  # type: ignore[assignment]
    ) -> StreamingResponse:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # Admitted before it touches the database; every filter is checked and the query has run
        # before the first byte, so a failure is a problem response, not a 200 cut off.
        ticket = await request.app.state.gates.bulk.enter(caller(principal))
        try:
            where = await store.selection(session, params, principal)
            if q := getattr(params, "q", None):
                where.append(matches(store.spec.table, q))  # an export filters by q; it does not rank
            batch_rows = get_bulk_settings().export_batch_rows
            chunks = await open_export(session, store, where, fmt, principal, batch_rows=batch_rows)
        except BaseException:
            ticket.release()
            raise
        return AdmittedStream(
            ticket,
            chunks,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{store.spec.name}-{stamp}.{fmt.value}"'},
        )

    export.__doc__ = (
        f"Every {store.singular} matching the list's filters, streamed as CSV (arrays ;-separated, "
        "nested objects as JSON, a cell starting with = + - @ gets a leading ' against formula injection, "
        "which the import takes off again) or NDJSON (one record per line, as GET returns it)."
    )
    router.add_api_route(
        "/export",
        export,
        methods=["GET"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "The matching records, in id order",
                "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
            },
            **error_responses(400, 401, 422, 429, 503),
        },
        operation_id=f"export_{store.spec.name}".replace("-", "_"),
        summary=f"Export {store.spec.name}",
    )


def add_import(router: APIRouter, store: RecordStore) -> None:
    async def import_(
        request: Request, session: SessionDep, principal: CurrentKey, mode: ModeParam = ImportMode.create
    ) -> JSONResponse:
        ensure_may_import(store, principal)
        if mode is ImportMode.upsert and not upsert_supported(store):
            raise invalid(
                ["query", "mode"], f"{store.spec.name} have no key of their own: mode=upsert is not available"
            )
        fmt = import_format(request.headers.get("content-type"))
        # Admitted before a byte of the body is read (the key was checked before that too).
        async with request.app.state.gates.bulk.admitted(caller(principal)):
            rows = rows_from(fmt, store, body_chunks(request))
            if mode is ImportMode.upsert:
                counts = await upsert_rows(session, store, principal, rows)
                answer = {"created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged}
            else:
                imported = await import_rows(session, store, principal, rows)
                answer = {"imported": imported, "created": imported, "updated": 0, "unchanged": 0}
            await session.commit()
        return JSONResponse(answer, status_code=201)

    import_.__doc__ = (
        f"Create many {store.spec.name} from NDJSON or CSV: all or nothing; a bad row is a 422 naming the "
        "row (1 = first data row; the line for NDJSON) and the field. With mode=upsert (resources with "
        "their own key) a row whose key exists replaces that record as PUT by key would: identical "
        "records are left alone (no new version, no history entry), changed ones get one `update` each; "
        "the answer counts created, updated and unchanged. Authority as for single writes: an editor "
        "replaces only its component's records (403 naming the row); an archived record is a 409 for "
        "its row."
    )
    # Raw bytes in either format; `format: binary` lets client generators take them as bytes (a file).
    body_schema = {"schema": {"type": "string", "format": "binary"}}
    router.add_api_route(
        "/import",
        import_,
        methods=["POST"],
        status_code=201,
        response_model=ImportResult,
        responses=error_responses(400, 401, 403, 408, 409, 413, 415, 422, 429, 503),
        operation_id=f"import_{store.spec.name}".replace("-", "_"),
        summary=f"Import {store.spec.name}",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/x-ndjson": body_schema, "text/csv": body_schema},
            }
        },
    )


def bulk_router(store: RecordStore) -> APIRouter:
    """`/<collection>/export` and `/<collection>/import` for one resource."""
    router = APIRouter(prefix=f"/{store.spec.name}", tags=[store.tag])
    add_export(router, store)
    add_import(router, store)
    return router
