"""A bare pooled asyncpg connection for reads run as precompiled SQL (GET by id): no Session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from service.auth import CurrentKey
from service.errors import unavailable


async def get_read_connection(request: Request, _: CurrentKey) -> AsyncIterator[asyncpg.Connection]:
    """The driver connection of a pooled connection, taken only once the caller's key is checked: a
    key lookup then never waits for the pool while this request holds a connection (16 requests on
    a cold key cache would deadlock a 10-connection pool), and a request with a bad key takes none.
    No transaction is opened on it, so it goes back to the pool as clean as it came."""
    engine: AsyncEngine = request.app.state.engine
    try:
        pooled = await engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as exc:
        # Unlike a Session, the pool hands connect failures ("the database system is shutting
        # down") over in the driver adapter's own class rather than a SQLAlchemy DBAPIError.
        raise unavailable() from exc
    try:
        yield pooled.driver_connection  # type: ignore[misc]
    except (asyncpg.InterfaceError, OSError):
        pooled.invalidate()  # a dead connection must not go back to the pool
        raise
    finally:
        await greenlet_spawn(pooled.close)


ReadConnectionDep = Annotated[asyncpg.Connection, Depends(get_read_connection)]
