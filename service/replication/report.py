"""What the router knows about each node (Tracked), and the read-only view of it (NodeReport)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from service.replication.lsn import format_lsn
from service.replication.probe import NodeProbe, NodeState


@dataclass(frozen=True)
class NodeReport:
    """One node, for `oia replication-check` and /health/ready."""

    name: str
    configured_as: Literal["primary", "replica"]
    role: Literal["primary", "standby", "unknown"]
    reachable: bool
    serving_reads: bool
    lag_seconds: float | None  # standbys only; estimated to about one health interval
    lag_bytes: int | None  # standbys only: WAL the primary had flushed that this node has not replayed
    lsn: str | None  # flush LSN on the primary, replay LSN on a standby
    replay_paused: bool
    server: str | None  # the address that answered (which host of a multi-host URL)
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(eq=False)
class Tracked:
    """A node's last probe result, freshness and catch-up bookkeeping (mutated by the router only)."""

    name: str
    configured_as: Literal["primary", "replica"]
    probe: NodeProbe
    reachable: bool = False
    state: NodeState | None = None
    measured_at: float = 0.0
    fresh_as_of: float | None = None  # the primary's state at this moment is all replayed here
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    error: str | None = "not probed yet"
    # Set (and replaced) whenever the position or reachability changes: wakes catch-up waiters.
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0

    @property
    def position(self) -> int:
        return self.state.position if self.state is not None else 0

    async def probe_once(self) -> None:
        started = time.monotonic()  # the position read after this moment is at least this new
        try:
            state = await self.probe.state()
        except Exception as exc:
            self.mark_down(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            return
        self.state, self.measured_at = state, started
        self.reachable, self.error = True, None
        self.notify()

    def advance(self, position: int, at: float) -> bool:
        """Record a newer replay position from a catch-up poll; True if it moved."""
        if self.state is None or position <= self.state.position:
            return False
        self.state = dataclasses.replace(self.state, position=position)
        self.measured_at = at
        self.notify()
        return True

    def mark_down(self, reason: str) -> None:
        self.reachable, self.error, self.fresh_as_of = False, reason, None
        self.notify()

    def notify(self) -> None:
        event, self.changed = self.changed, asyncio.Event()
        event.set()

    def report(self, serving_reads: bool) -> NodeReport:
        state = self.state if self.reachable else None
        role: Literal["primary", "standby", "unknown"] = "unknown"
        if state is not None:
            role = "standby" if state.in_recovery else "primary"
        standby = role == "standby"
        return NodeReport(
            name=self.name,
            configured_as=self.configured_as,
            role=role,
            reachable=self.reachable,
            serving_reads=serving_reads and self.reachable,
            lag_seconds=None if not standby or self.lag_seconds is None else round(self.lag_seconds, 3),
            lag_bytes=self.lag_bytes if standby else None,
            lsn=format_lsn(state.position) if state is not None else None,
            replay_paused=bool(state and state.replay_paused),
            server=state.server if state is not None else None,
            error=self.error,
        )
