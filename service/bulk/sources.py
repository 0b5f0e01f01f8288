"""Where import rows come from: the content type names the format, the readers number the rows,
and CSV rows are decoded against the resource's create schema."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request

from service.bulk.csv_codec import RowDecoder, field_kinds
from service.bulk.export import BulkFormat
from service.bulk.importer import RawRow
from service.bulk.parsing import BadRow, csv_records, ndjson_rows
from service.bulk.settings import get_bulk_settings
from service.errors import Unprocessable, UnsupportedMediaType
from service.records.store import RecordStore

IMPORT_TYPES = {
    "text/csv": BulkFormat.csv,
    "application/x-ndjson": BulkFormat.ndjson,
    "application/ndjson": BulkFormat.ndjson,
}


def import_format(content_type: str | None) -> BulkFormat:
    """415 unless the body is UTF-8 CSV or NDJSON."""
    media, _, params = (content_type or "").partition(";")
    fmt = IMPORT_TYPES.get(media.strip().lower())
    charset = next(
        (p.split("=", 1)[1].strip().strip('"').lower() for p in params.split(";") if "charset=" in p.lower()),
        "utf-8",
    )
    if fmt is None or charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            "Send the rows as application/x-ndjson (one JSON object per line) or as text/csv "
            "(a header row, then one record per row; arrays ;-separated), UTF-8."
        )
    return fmt


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives (service.web.body_limit bounds its size: MAX_IMPORT_BYTES)."""
    async for chunk in request.stream():
        if chunk:
            yield chunk


def rows_from(
    fmt: BulkFormat, store: RecordStore, chunks: AsyncIterator[bytes]
) -> AsyncIterator[tuple[int, RawRow]]:
    if fmt is BulkFormat.ndjson:
        return ndjson_rows(chunks, get_bulk_settings().import_max_record_bytes)
    return csv_rows(store, chunks)


async def csv_rows(store: RecordStore, chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, RawRow]]:
    """(row number, values) per CSV record; a header naming anything but writable fields is a 422."""
    decoder: RowDecoder | None = None
    async for number, cells in csv_records(chunks, get_bulk_settings().import_max_record_bytes):
        if decoder is None:
            decoder = _decoder(store, cells)
            continue
        if isinstance(cells, BadRow):
            yield number, cells
            continue
        values, problems = decoder.decode(cells)
        yield number, (BadRow(problems) if problems else values)
    if decoder is None:
        raise Unprocessable("The CSV file is empty: it needs a header row naming the columns.")


def _decoder(store: RecordStore, header: list[str] | BadRow) -> RowDecoder:
    """The decoder the header row describes; a 422 listing at most IMPORT_MAX_ERRORS problems (a
    header of 300,000 unknown columns once made a 100 MB answer)."""
    if isinstance(header, BadRow):
        raise Unprocessable(f"The CSV header row is not valid CSV: {header.problems[0][1]}.")
    limits = get_bulk_settings()
    if len(header) > limits.import_max_columns:
        msg = f"the header names {len(header)} columns; at most {limits.import_max_columns} are allowed"
        raise Unprocessable(
            f"The CSV header is not valid: {msg}.",
            errors=[{"loc": ["header"], "msg": msg, "type": "csv_header"}],
        )
    decoder = RowDecoder([name.strip() for name in header], field_kinds(store.create_model))
    server_owned = frozenset(store.read_model.model_fields) - frozenset(store.create_model.model_fields)
    if errors := decoder.header_errors(server_owned):
        shown = errors[: limits.import_max_errors]
        more = (
            f" (showing the first {len(shown)} of {len(errors)} problems)" if len(errors) > len(shown) else ""
        )
        raise Unprocessable(f"The CSV header is not valid: {errors[0]['msg']}{more}.", errors=shown)
    return decoder
