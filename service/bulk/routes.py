"""GET /<resource>/export and POST /<resource>/import for every record resource.

No `from __future__ import annotations`: FastAPI reads these closures' annotations at runtime.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from service.auth import CurrentKey
from service.bulk.export import MEDIA_TYPES, BulkFormat, export_chunks
from service.bulk.importer import ensure_may_import, import_rows
from service.bulk.settings import get_bulk_settings
from service.bulk.sources import body_chunks, import_format, rows_from
from service.db import SessionDep
from service.records.http import error_responses
from service.records.search import matches
from service.records.store import RecordStore


class ImportResult(BaseModel):
    imported: int = Field(description="How many records were created", examples=[100000])


ExportFormat = Annotated[BulkFormat, Query(alias="format", description="csv (RFC 4180) or ndjson")]


def add_export(router: APIRouter, store: RecordStore) -> None:
    params_model: Any = store.params

    # SessionDep, not the autocommit read session: the server-side cursor needs a transaction, which
    # also gives the whole export one snapshot.
    async def export(
        session: SessionDep,
        principal: CurrentKey,
        fmt: ExportFormat = BulkFormat.csv,
        params: Annotated[params_model, Query()] = None,  # type: ignore[assignment]
    ) -> StreamingResponse:
        where = await store.selection(session, params, principal)
        if q := getattr(params, "q", None):
            where.append(matches(store.spec.table, q))  # an export filters by q; it does not rank
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        batch = get_bulk_settings().export_batch_rows
        chunks = export_chunks(session, store, where, fmt, principal, batch_rows=batch)
        return StreamingResponse(
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
            **error_responses(400, 401, 422, 503),
        },
        operation_id=f"export_{store.spec.name}".replace("-", "_"),
        summary=f"Export {store.spec.name}",
    )


def add_import(router: APIRouter, store: RecordStore) -> None:
    async def import_(request: Request, session: SessionDep, principal: CurrentKey) -> JSONResponse:
        ensure_may_import(store, principal)
        fmt = import_format(request.headers.get("content-type"))
        rows = rows_from(fmt, store, body_chunks(request))
        imported = await import_rows(session, store, principal, rows)
        await session.commit()
        return JSONResponse({"imported": imported}, status_code=201)

    import_.__doc__ = (
        f"Create many {store.spec.name} from NDJSON or CSV: all or nothing; a bad row is a 422 naming the "
        "row (1 = first data row; the line for NDJSON) and the field."
    )
    # Raw bytes in either format; `format: binary` lets client generators take them as bytes (a file).
    body_schema = {"schema": {"type": "string", "format": "binary"}}
    router.add_api_route(
        "/import",
        import_,
        methods=["POST"],
        status_code=201,
        response_model=ImportResult,
        responses=error_responses(400, 401, 403, 409, 413, 415, 422, 503),
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
