"""One dedicated connection per node for health probes and catch-up polls, outside the pools.

Outside the pools so that a probe never waits behind requests for a pooled connection (a busy
pool would look like a dead node) and never takes one from them. One connection, guarded by a
lock, serves both the health loop and the catch-up poller: asyncpg runs one query at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from service.replication.lsn import optional_lsn, parse_lsn
from service.replication.queries import NODE_STATE, REPLAY_POSITION


@dataclass(frozen=True)
class NodeState:
    """What one probe saw."""

    in_recovery: bool
    position: int  # replay LSN on a standby, flush LSN on a primary
    received: int | None
    replay_paused: bool
    server: str


class NodeProbe:
    """Probes one node (a multi-host DSN with target_session_attrs finds its current primary)."""

    def __init__(self, dsn: str, timeout: float) -> None:
        self._dsn = dsn
        self._timeout = timeout
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def state(self) -> NodeState:
        """Probe once; any failure (down, hung, refused) raises and drops the connection."""
        row = await self._fetchrow(NODE_STATE)
        return NodeState(
            in_recovery=row["in_recovery"],
            # A standby that has not replayed a record since starting has no replay LSN yet.
            position=optional_lsn(row["position"]) or 0,
            received=optional_lsn(row["received"]),
            replay_paused=row["replay_paused"],
            server=row["server"],
        )

    async def replay_position(self) -> int:
        row = await self._fetchrow(REPLAY_POSITION)
        text = row[0]
        return parse_lsn(text) if text is not None else 0

    async def _fetchrow(self, sql: str) -> asyncpg.Record:
        async with self._lock:
            try:
                # One deadline for connect + query: a node that accepts TCP but never answers
                # (stopped, overloaded, partitioned) must read as down within the timeout.
                async with asyncio.timeout(self._timeout):
                    if self._conn is None or self._conn.is_closed():
                        self._conn = await asyncpg.connect(
                            self._dsn,
                            timeout=self._timeout,
                            statement_cache_size=0,
                            server_settings={"application_name": "oia-replication-probe"},
                        )
                    row = await self._conn.fetchrow(sql)
            except BaseException:
                self._drop()
                raise
            assert row is not None
            return row

    def _drop(self) -> None:
        if self._conn is not None:
            # terminate(), not close(): a graceful close would wait on a node that is not answering.
            self._conn.terminate()
            self._conn = None

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                try:
                    await asyncio.wait_for(self._conn.close(), self._timeout)
                except Exception:
                    self._drop()
                self._conn = None
