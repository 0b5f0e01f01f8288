"""A bare pooled asyncpg connection for reads run as precompiled SQL (GET by id): no Session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn
from starlette.exceptions import HTTPException

from service.auth import CurrentKey
from service.db import read_failed, read_node
from service.errors import ProblemError, unavailable

# Errors that mean the server or the socket is gone, not that one statement failed. Like SQLAlchemy
# does for a Session on a disconnect, they retire every connection opened before them, so the rest
# of the pool reconnects on checkout instead of each failing once after a database restart.
_CONNECTION_LOST = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # see errors._driver_lost_track
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    OSError,
)


async def get_read_connection(request: Request, _: CurrentKey) -> AsyncIterator[asyncpg.Connection]:
    """The driver connection of a pooled connection, taken only once the caller's key is checked: a
    key lookup then never waits for the pool while this request holds a connection (16 requests on
    a cold key cache would deadlock a 10-connection pool), and a request with a bad key takes none.
    No transaction is opened on it, so it goes back to the pool as clean as it came. It comes from
    the node read_node chose (a standby when one is fresh enough, service.replication)."""
    node = await read_node(request)
    engine: AsyncEngine = request.app.state.engine if node is None else node.engine
    try:
        pooled = await engine.raw_connection()
    except Exception as exc:
        # Unlike a Session, the pool hands connect failures ("the database system is shutting
        # down") over in the driver adapter's own class rather than a SQLAlchemy DBAPIError; what
        # the driver raised is its cause.
        adapted = isinstance(exc, engine.dialect.loaded_dbapi.Error)
        read_failed(request, node, exc.__cause__ or exc if adapted else exc)
        if adapted:
            raise unavailable() from exc
        raise
    driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]
    try:
        yield driver
    except (ProblemError, HTTPException):
        raise  # the statement finished (a 404, say): the connection is fine
    except Exception as exc:
        read_failed(request, node, exc)  # on a replica: run again on the primary
        # Whatever the driver raised, a connection whose statement failed half-way is not trusted
        # again: one killed mid-statement and handed back would fail the next request too.
        if isinstance(exc, _CONNECTION_LOST) or driver.is_closed():
            engine.pool._invalidate(pooled, exc)  # SQLAlchemy's own disconnect path (private)
        else:
            pooled.invalidate(exc)
        raise
    finally:
        await greenlet_spawn(pooled.close)


ReadConnectionDep = Annotated[asyncpg.Connection, Depends(get_read_connection)]
