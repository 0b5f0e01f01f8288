"""`oia replication-check`: probe every node once and print role, reachability and lag."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from service.replication.report import NodeReport
from service.replication.router import ReplicaSet
from service.replication.urls import engine_url


def _idle_engine(url: str) -> AsyncEngine:
    """An engine that never connects here: the check only uses the probes' own connections."""
    return create_async_engine(url, poolclass=NullPool)


async def replication_check(
    primary_url: str, replica_urls: Sequence[str], *, max_lag_seconds: float = 5.0, spacing: float = 1.0
) -> list[NodeReport]:
    """Two health rounds `spacing` apart (lag in seconds needs two samples of the primary)."""
    replicas = ReplicaSet(
        _idle_engine(engine_url(primary_url)),
        primary_url,
        replica_urls,
        _idle_engine,
        max_lag_seconds=max_lag_seconds,
    )
    try:
        await replicas.refresh()
        await asyncio.sleep(spacing)
        await replicas.refresh()
        return replicas.node_report()
    finally:
        await replicas.aclose()
        await replicas.primary.engine.dispose()


def format_report(reports: Sequence[NodeReport]) -> str:
    """A fixed-width table, one node a line."""
    header = f"{'NODE':32} {'AS':8} {'ROLE':8} {'UP':3} {'READS':5} {'LAG s':>8} {'LAG bytes':>10} LSN"
    lines = [header]
    for r in reports:
        lag = "-" if r.lag_seconds is None else f"{r.lag_seconds:.3f}"
        lag_bytes = "-" if r.lag_bytes is None else str(r.lag_bytes)
        reads = "yes" if r.serving_reads else "no"
        lines.append(
            f"{r.name[:32]:32} {r.configured_as:8} {r.role:8} {'yes' if r.reachable else 'no':3} {reads:5} "
            f"{lag:>8} {lag_bytes:>10} {r.lsn or '-'}"
            + (" (replay paused)" if r.replay_paused else "")
            + (f"  error: {r.error}" if r.error else "")
        )
    return "\n".join(lines)
