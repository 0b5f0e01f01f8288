"""Waiting (briefly) for a standby to replay up to a consistency token's position.

PostgreSQL 15 has no "wait for replay LSN" function, so the standby is polled. One poller per
standby runs while anyone waits on it, however many requests wait: at most a few hundred tiny
queries a second, and only while someone waits. It polls on the probe connection, not a pooled
one, which a busy pool might not hand over within the wait budget. Waiters only wait on an
event, so a cancelled request leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from service.replication.report import Tracked

# Local streaming replication applies a commit within about a millisecond of the flush, so a
# short poll interval decides most waits in one or two polls.
POLL_SECONDS = 0.002


class CatchUp:
    """Waits for standbys to reach positions; reports progress and losses through callbacks."""

    def __init__(
        self, on_replayed: Callable[[Tracked], None], on_lost: Callable[[Tracked, str], None]
    ) -> None:
        self._on_replayed = on_replayed
        self._on_lost = on_lost
        self._pollers: dict[int, asyncio.Task[None]] = {}

    async def wait(self, tracked: Tracked, lsn: int, budget: float) -> bool:
        """True once `tracked` has replayed `lsn`; False if it has not within `budget` seconds
        or it became unreachable meanwhile."""
        deadline = time.monotonic() + budget
        tracked.waiters += 1
        self._ensure_poller(tracked)
        try:
            while tracked.position < lsn:
                remaining = deadline - time.monotonic()
                if not tracked.reachable or remaining <= 0:
                    return False
                event = tracked.changed  # taken before awaiting: no wake-up is missed
                try:
                    async with asyncio.timeout(remaining):
                        await event.wait()
                except TimeoutError:
                    return False
            return tracked.reachable
        finally:
            tracked.waiters -= 1

    def _ensure_poller(self, tracked: Tracked) -> None:
        key = id(tracked)
        task = self._pollers.get(key)
        if task is None or task.done():
            self._pollers[key] = asyncio.create_task(self._poll(tracked), name=f"catch-up {tracked.name}")

    async def _poll(self, tracked: Tracked) -> None:
        while tracked.waiters > 0:
            started = time.monotonic()
            try:
                position = await tracked.probe.replay_position()
            except Exception as exc:
                self._on_lost(tracked, f"{type(exc).__name__}: {exc}")
                return
            if tracked.advance(position, started):
                self._on_replayed(tracked)
            await asyncio.sleep(POLL_SECONDS)

    async def aclose(self) -> None:
        for task in self._pollers.values():
            task.cancel()
        await asyncio.gather(*self._pollers.values(), return_exceptions=True)
        self._pollers.clear()
