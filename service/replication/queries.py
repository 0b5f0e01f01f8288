"""The SQL that reads WAL positions and node state, and the write path's token after a commit."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.replication.lsn import parse_lsn
from service.replication.token import encode_token

# The position handed out after a write. Once COMMIT has returned with synchronous_commit on (the
# default), the commit record is flushed, so the flush LSN read afterwards, on any connection to
# the same server, is at or past the commit's end: a safe upper bound. It is also the best one:
# everything up to it is already flushed and therefore already streamable, so a replica can always
# reach it promptly. The insert LSN would be safe too but can point into a partly filled WAL page
# that nothing flushes while the primary is quiet (another session's open transaction), leaving
# token reads waiting for nothing. Only with synchronous_commit=off is the commit possibly not yet
# flushed when COMMIT returns; then only the insert LSN is a safe bound (the WAL writer flushes
# asynchronous commits within wal_writer_delay). The setting read is the reading session's, which
# is the server's unless the app overrides it per transaction (it does not).
COMMIT_POSITION = """
SELECT (CASE WHEN current_setting('synchronous_commit') = 'off'
             THEN pg_current_wal_insert_lsn() ELSE pg_current_wal_flush_lsn() END)::text
"""

# One probe for either role. On a standby: how far it has replayed (what its queries can see) and
# how far it has received. On a primary: its flush LSN, the furthest any standby can get, and the
# reference the lag of every standby is measured against. Where the server is, so a multi-host
# URL's current primary can be named. Functions are only evaluated on the branch taken:
# pg_current_wal_flush_lsn() errors during recovery, pg_is_wal_replay_paused() outside it.
NODE_STATE = """
SELECT pg_is_in_recovery() AS in_recovery,
       (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
             ELSE pg_current_wal_flush_lsn() END)::text AS position,
       pg_last_wal_receive_lsn()::text AS received,
       (CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END) AS replay_paused,
       coalesce(host(inet_server_addr()) || ':' || inet_server_port(), 'local') AS server
"""

# The cheap poll while reads wait for a standby to catch up to a token.
REPLAY_POSITION = "SELECT pg_last_wal_replay_lsn()::text"


async def commit_position(conn: asyncpg.Connection) -> int:
    """The position to hand out for writes committed before this call (bare driver connection)."""
    return parse_lsn(await conn.fetchval(COMMIT_POSITION))


async def session_token(session: AsyncSession) -> str:
    """The consistency token for what `session` has committed: call it after `commit()`. The
    statement opens a new (empty) transaction that closing the session rolls back; the position is
    server-wide, so any connection the session gets is as good as the one that committed."""
    return encode_token(parse_lsn(await session.scalar(text(COMMIT_POSITION))))


async def engine_token(engine: AsyncEngine) -> str:
    """The consistency token covering every write already committed on `engine`'s primary (for a
    middleware that stamps every successful write's response without touching the routes)."""
    async with engine.connect() as connection:
        # On the driver: asyncpg runs a lone SELECT outside any transaction. Through SQLAlchemy it
        # took the AUTOCOMMIT isolation level, set and reset around it, and its execution machinery:
        # ~6 % of a create's worker CPU, on every write.
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        return encode_token(parse_lsn(await driver.fetchval(COMMIT_POSITION)))
