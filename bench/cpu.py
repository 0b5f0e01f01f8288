"""CPU time spent per request by the server's workers and by PostgreSQL's backends.

On a shared machine req/s drifts with whatever else runs; the CPU a request costs does not (much).
A scenario's cost is read from /proc before and after it: the workers' utime + stime and those of the
PostgreSQL backends connected to the benchmark database, divided by the requests served.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import asyncpg

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


async def backends(url: str, database: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database
        )
    finally:
        await conn.close()
    return [r[0] for r in rows]


async def settle(url: str, database: str, wait_s: float = 30.0) -> int:
    """Wait until no statement runs in the benchmark database, then cancel what still does.

    The load generator gives up on a request at its timeout, but PostgreSQL goes on with the statement
    until it ends (or hits statement_timeout): without this, a heavy scenario's leftovers (16 ranked
    searches over 1M rows) run on into the next one and bill it their CPU and latency. Returns how many
    statements had to be cancelled."""
    conn = await asyncpg.connect(url)
    query = (
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
        " AND state = 'active' AND backend_type = 'client backend'"
    )
    try:
        deadline = time.monotonic() + wait_s
        busy = [r[0] for r in await conn.fetch(query, database)]
        for _ in range(int(wait_s / 0.2)):  # polling: PostgreSQL has no "statement ended" event for us
            if not busy or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
            busy = [r[0] for r in await conn.fetch(query, database)]
        for pid in busy:
            await conn.execute("SELECT pg_cancel_backend($1)", pid)
        return len(busy)
    finally:
        await conn.close()


class CpuMeter:
    """Snapshot before, snapshot after; backends that appear meanwhile count from zero."""

    def __init__(self, worker_pids: list[int], backend_pids: list[int]) -> None:
        self.workers = {p: cpu_seconds(p) for p in worker_pids}
        self.backends = {p: cpu_seconds(p) for p in backend_pids}

    def delta(self, worker_pids: list[int], backend_pids: list[int]) -> tuple[float, float]:
        """(workers' CPU seconds, PostgreSQL's CPU seconds) since the snapshot."""
        app = sum(cpu_seconds(p) - self.workers.get(p, 0.0) for p in worker_pids)
        db = sum(cpu_seconds(p) - self.backends.get(p, 0.0) for p in backend_pids)
        return app, db
