"""Every matching record of one resource as CSV or NDJSON, streamed in constant memory.

Rows come through a server-side cursor (`session.stream` with `yield_per`) and leave as one encoded
chunk per batch, so memory holds one batch whatever the table's size. Order is by key (time-ordered
ids), which makes two exports of unchanged data byte-identical.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Callable
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.bulk.csv_codec import cell_encoder, field_kinds
from service.records.links import visible_link_column
from service.records.store import RecordStore

SLICE_ROWS = 100  # rows encoded between two turns of the event loop


class BulkFormat(StrEnum):
    csv = "csv"
    ndjson = "ndjson"


MEDIA_TYPES = {
    BulkFormat.csv: "text/csv; charset=utf-8; header=present",
    BulkFormat.ndjson: "application/x-ndjson",
}


def csv_columns(store: RecordStore) -> list[str]:
    """The key first, then what a client writes, then what the server keeps."""
    names = [store.spec.key, *store.create_model.model_fields, *store.read_model.model_fields]
    return list(dict.fromkeys(n for n in names if n in store.read_model.model_fields))


class CsvEncoder:
    """RFC 4180: CRLF line ends, quotes only where needed (the csv module's defaults)."""

    def __init__(self, store: RecordStore) -> None:
        self.columns = csv_columns(store)
        kinds = field_kinds(store.read_model)
        self.encoders = [(name, cell_encoder(kinds[name])) for name in self.columns]
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def _take(self) -> bytes:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text.encode()

    def header(self) -> bytes:
        self.writer.writerow(self.columns)
        return self._take()

    def encode(self, models: list[BaseModel]) -> bytes:
        for model in models:
            values = model.model_dump(mode="json")
            self.writer.writerow([encode(values.get(name)) for name, encode in self.encoders])
        return self._take()


class NdjsonEncoder:
    """One JSON object per line, exactly as the API returns the record."""

    def header(self) -> bytes:
        return b""

    def encode(self, models: list[BaseModel]) -> bytes:
        return b"".join(model.model_dump_json().encode() + b"\n" for model in models)


async def open_export(
    session: AsyncSession,
    store: RecordStore,
    where: list[ColumnElement[bool]],
    fmt: BulkFormat,
    principal: Principal,
    *,
    batch_rows: int,
) -> AsyncIterator[bytes]:
    """export_chunks with its query already running and its first batch already read, so a database
    error is raised here, before a status line is sent (then it is a problem response, not a 200 cut
    off), and the first bytes leave at once."""
    chunks = export_chunks(session, store, where, fmt, principal, batch_rows=batch_rows)
    first = [await anext(chunks)]  # the CSV header (b"" for NDJSON): nothing has touched SQL yet
    with contextlib.suppress(StopAsyncIteration):
        first.append(await anext(chunks))  # the first batch: the query has run

    async def rest() -> AsyncIterator[bytes]:
        for chunk in first:
            if chunk:
                yield chunk
        async for chunk in chunks:
            yield chunk

    return rest()


async def export_chunks(
    session: AsyncSession,
    store: RecordStore,
    where: list[ColumnElement[bool]],
    fmt: BulkFormat,
    principal: Principal,
    *,
    batch_rows: int,
    on_rows: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The encoded export, one chunk per batch of rows (the CSV header comes first); `where` says
    which records (the caller's selection), `principal` which of their links it may see."""
    encoder = CsvEncoder(store) if fmt is BulkFormat.csv else NdjsonEncoder()
    yield encoder.header()
    table = store.spec.table
    # Only what the read model shows (not, e.g., a search document column); links to marked records
    # with only the ids the reader may see (service.records.links).
    links = store.links
    columns = [
        visible_link_column(table, column.name, links[column.name], principal).label(column.name)
        if column.name in links
        else column
        for column in table.c
        if column.name in store.read_model.model_fields
    ]
    stmt = select(*columns).where(*where).order_by(store.spec.key_column)
    rows = (await session.stream(stmt.execution_options(yield_per=batch_rows))).mappings()
    # A small first batch, so the first bytes leave at once even if a whole batch takes a while.
    batch = await rows.fetchmany(min(100, batch_rows))
    while batch:
        for start in range(0, len(batch), SLICE_ROWS):
            part = batch[start : start + SLICE_ROWS]
            yield encoder.encode([store.to_read(dict(row)) for row in part])
            if on_rows is not None:
                on_rows(len(part))
            # Encoding is CPU work on the event loop, and a send does not always yield to it: let the
            # worker's other requests (a readiness probe, a GET) in between slices.
            await asyncio.sleep(0)
        batch = await rows.fetchmany(batch_rows)
