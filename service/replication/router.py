"""ReplicaSet: which node serves a read (a fresh-enough standby, else the primary), kept current
by a background health loop."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from service.replication.catchup import CatchUp
from service.replication.failures import node_lost, retry_on_primary
from service.replication.lag import PrimaryTimeline
from service.replication.lsn import MAX_LSN
from service.replication.probe import NodeProbe
from service.replication.report import NodeReport, Tracked
from service.replication.urls import parse_target

log = logging.getLogger("service.replication")
T = TypeVar("T")


@dataclass(eq=False, frozen=True)
class Node:
    """A server a read can go to: its engine (sessions, or raw_connection() for bare asyncpg)."""

    name: str
    engine: AsyncEngine
    is_primary: bool


class ReplicaSet:
    """The primary plus the configured standbys, and the routing of reads between them."""

    def __init__(
        self,
        primary_engine: AsyncEngine,
        primary_url: str,
        replica_urls: Sequence[str],
        engine_factory: Callable[[str], AsyncEngine],
        *,
        max_lag_seconds: float = 5.0,
        wait_seconds: float = 0.2,
        health_interval: float = 1.0,
    ) -> None:
        self._max_lag = max_lag_seconds
        self._wait = wait_seconds
        self._interval = health_interval
        # A probe slower than this is a node that is down for reading purposes.
        timeout = min(max(2 * health_interval, 0.5), 5.0)
        primary = parse_target(primary_url)
        self.primary = Node(primary.display_name(), primary_engine, is_primary=True)
        self._primary = Tracked(self.primary.name, "primary", NodeProbe(primary.asyncpg_dsn(), timeout))
        self._replicas: list[tuple[Node, Tracked]] = []
        for url in replica_urls:
            target = parse_target(url)
            node = Node(target.display_name(), engine_factory(target.sqlalchemy_url()), is_primary=False)
            self._replicas.append(
                (node, Tracked(node.name, "replica", NodeProbe(target.asyncpg_dsn(), timeout)))
            )
        # Samples kept well past the lag limit, so "how stale" stays a number, not just "too".
        self._timeline = PrimaryTimeline(retention_seconds=max(30.0, 4 * max_lag_seconds))
        self._catchup = CatchUp(self._on_replayed, self._on_lost)
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None

    @property
    def replicas(self) -> list[Node]:
        return [node for node, _ in self._replicas]

    async def start(self) -> None:
        """One health round now (so the first requests already route), then one every interval;
        with no replicas configured there is nothing to route, so no loop (call refresh() for a
        current node_report())."""
        await self.refresh()
        if self._replicas:
            self._task = asyncio.create_task(self._health_loop(), name="replica-health")

    async def aclose(self) -> None:
        """Stop the loop, close the probes and dispose of the replica engines (not the primary's)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._catchup.aclose()
        for node, tracked in self._replicas:
            await tracked.probe.close()
            await node.engine.dispose()
        await self._primary.probe.close()

    async def refresh(self) -> None:
        """Probe every node once, concurrently, and recompute each standby's freshness."""
        everyone = [self._primary, *(tracked for _, tracked in self._replicas)]
        await asyncio.gather(*(tracked.probe_once() for tracked in everyone))
        if self._primary.reachable and self._primary.state is not None:
            if self._primary.state.in_recovery:
                self._primary.mark_down("the primary URL reached a server in recovery")
            else:
                self._timeline.record(self._primary.measured_at, self._primary.state.position)
        for _, tracked in self._replicas:
            self._assess(tracked)

    async def _health_loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.refresh()
            except Exception:  # never let one bad round end the loop: routing would freeze
                log.exception("replica health round failed")
            await asyncio.sleep(max(0.05, self._interval - (time.monotonic() - started)))

    def _assess(self, tracked: Tracked) -> None:
        """Recompute how fresh a standby's data is from its replay position."""
        latest = self._timeline.latest
        if not tracked.reachable or tracked.state is None:
            tracked.fresh_as_of = None
            return
        replayed = tracked.state.position
        if not self._primary.reachable and latest is not None and replayed >= latest[1]:
            # Primary unreachable: nothing newer can have been written since we last saw it, so a
            # standby holding all of that is as fresh as any server can be (and keeps reads up).
            tracked.fresh_as_of = tracked.measured_at
        else:
            tracked.fresh_as_of = self._timeline.fresh_as_of(replayed)
        tracked.lag_seconds = self._timeline.lag_seconds(replayed, tracked.measured_at)
        tracked.lag_bytes = max(0, latest[1] - replayed) if latest else None

    def _usable(self, tracked: Tracked, now: float) -> bool:
        return (
            tracked.reachable
            and tracked.state is not None
            and tracked.state.in_recovery  # a promoted ex-standby may be on another history
            and tracked.fresh_as_of is not None
            and now - tracked.fresh_as_of <= self._max_lag
        )

    async def choose(self, min_lsn: int | None = None) -> Node:
        """A standby within the lag limit that has replayed at least `min_lsn` (waiting up to the
        configured time for one to get there), else the primary. Never raises."""
        now = time.monotonic()
        usable = [(node, t) for node, t in self._replicas if self._usable(t, now)]
        if not usable:
            return self.primary
        if min_lsn is not None:
            ready = [(node, t) for node, t in usable if t.state is not None and t.state.position >= min_lsn]
            if not ready:
                if min_lsn >= MAX_LSN or self._wait <= 0:
                    return self.primary
                node, tracked = max(usable, key=lambda pair: pair[1].position)
                caught_up = await self._catchup.wait(tracked, min_lsn, self._wait)
                return node if caught_up else self.primary
            usable = ready
        return usable[next(self._turn) % len(usable)][0]

    def _on_replayed(self, tracked: Tracked) -> None:
        self._assess(tracked)

    def _on_lost(self, tracked: Tracked, reason: str) -> None:
        tracked.mark_down(reason)

    def mark_failed(self, node: Node, exc: BaseException) -> None:
        """A read on `node` failed: if the node itself is gone, stop choosing it until the health
        loop reaches it again (within one interval of it coming back)."""
        if node.is_primary or not node_lost(exc):
            return
        for candidate, tracked in self._replicas:
            if candidate is node:
                tracked.mark_down(f"{type(exc).__name__}: {exc}")

    async def run_read(self, work: Callable[[Node], Awaitable[T]], min_lsn: int | None = None) -> T:
        """Run a read on the chosen node; if a replica fails it with a database error, mark it and
        run the read again on the primary, so a replica's trouble is never the client's."""
        node = await self.choose(min_lsn)
        if node.is_primary:
            return await work(node)
        try:
            return await work(node)
        except Exception as exc:
            if not retry_on_primary(exc):
                raise
            log.warning("read on replica %s failed (%r); retrying on the primary", node.name, exc)
            self.mark_failed(node, exc)
        return await work(self.primary)

    def node_report(self) -> list[NodeReport]:
        """Each node's role, reachability, lag and WAL position as of the last health round."""
        now = time.monotonic()
        reports = [self._primary.report(serving_reads=True)]
        reports += [t.report(serving_reads=self._usable(t, now)) for _, t in self._replicas]
        return reports
