"""Which errors from a replica send a read to the primary, and which also mean the replica is gone."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Database-level failures. Application decisions (a 404 problem, an HTTPException) are not among
# them and pass through: the replica answered, the answer stands.
_DATABASE_ERRORS = (
    DBAPIError,
    PoolTimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)

# The node (or the socket to it) is gone, not just one statement: stop choosing it until a health
# probe reaches it again.
_NODE_LOST = (
    PoolTimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    OSError,
    TimeoutError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps (SQLAlchemy's .orig, then __cause__), a few levels deep."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return
        yield seen
        seen = getattr(seen, "orig", None) or seen.__cause__


def retry_on_primary(exc: BaseException) -> bool:
    """A read that failed this way on a replica is retried once on the primary. Nearly every
    database error qualifies, not only lost connections: a standby cancels queries that conflict
    with replay (40001, "conflict with recovery"), refuses a write hidden in a read path (25006),
    and may not have replayed a new migration yet (42P01, 42703); a read is safe to repeat, and a
    genuine bug fails the same way on the primary and is reported from there as before. Not
    retried: what the request itself caused and the primary would repeat, at the same cost (bad
    input, 22xxx; a statement timeout, 57014, which would only double the wait)."""
    if not isinstance(exc, _DATABASE_ERRORS):
        return False
    state = _sqlstate(exc)
    return state is None or not (state.startswith("22") or state == "57014")


def _sqlstate(exc: BaseException) -> str | None:
    for seen in _chain(exc):
        code = getattr(seen, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def node_lost(exc: BaseException) -> bool:
    """The replica itself is unreachable (as opposed to one statement failing on it)."""
    for seen in _chain(exc):
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, _NODE_LOST):
            return True
    return False
