"""The write routes' database work with as few round trips as the resource allows.

A resource whose references are plain targets (`set_checked_import`) is checked in one query
(service.records.reference_query); a resource PostgreSQL can render (a projection) is created in one
statement that also answers with the record's JSON exactly as GET renders it, so no pydantic model is
rebuilt and re-serialised for the response. Everything else takes the general path, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.db import driver_connection
from service.records import reference_query, write_sql
from service.records import sql as records
from service.records.audit import diff
from service.records.http import etag, record_response
from service.records.links import redact_links
from service.records.spec import Row
from service.records.store import RecordStore


async def check_references(
    session: AsyncSession, store: RecordStore, values: Row, current: Row | None, *, begin: bool = True
) -> None:
    """The store's reference checks: one query when they are plain targets, else its own."""
    if store.set_checked_import:
        connection = await driver_connection(session, begin=begin)
        await reference_query.check_references(connection, store, values, current)
    else:
        await store.check_references(session, values, current)


async def create(
    session: AsyncSession,
    store: RecordStore,
    values: Row,
    principal: Principal,
    location: Callable[[Any], str],
    *,
    alone: bool = False,
) -> Response:
    """Check references, insert the record with its audit row, and answer 201 with its JSON.

    `alone`: nothing else is written in this transaction (no Idempotency-Key). The insert is then
    sent without BEGIN and COMMIT: one statement is atomic on its own, and the change feed's lock,
    taken inside it, is released by its own commit rather than held while the worker gets round to
    sending COMMIT (under load, the queue of every other request on the event loop). The reference
    check before it reads committed data, as it does inside a READ COMMITTED transaction."""
    await check_references(session, store, values, None, begin=not alone)
    projection = store.projection_for(principal)
    if projection is None:
        row = await records.create(session, store.spec, values, principal)
        key = row[store.spec.key]
        return record_response(store.to_read(row), row["version"], 201, location(key))
    connection = await driver_connection(session, begin=not alone)
    doc, version, key = await write_sql.insert(
        connection, store.spec, values, principal, diff(None, values), projection
    )
    headers = {"ETag": etag(version), "Location": location(key)}
    return Response(doc, status_code=201, media_type="application/json", headers=headers)


async def update(
    session: AsyncSession, store: RecordStore, current: Row, values: Row, principal: Principal
) -> Response:
    """Apply a validated change to the locked `current` record and answer 200 with its JSON as the
    caller reads it (linked records it may not see left out)."""
    changes = diff(current, values)
    projection = store.projection_for(principal)
    if projection is None or not changes:
        row = await records.apply_update(session, store.spec, current, values, principal)
        row = await redact_links(session, principal, store.links, row)
        return record_response(store.to_read(row), row["version"])
    changed = {name: values[name] for name in changes}
    connection = await driver_connection(session)
    previous = store.spec.marking_of(current)
    found = await write_sql.update(
        connection, store.spec, current, changed, principal, changes, "update", previous, projection
    )
    doc, version = found[0], found[1]
    return Response(doc, media_type="application/json", headers={"ETag": etag(version)})
