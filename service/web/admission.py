"""Admission for expensive requests: bounded per class and per caller, refused with 429 + Retry-After.

Each class (bulk = exports and imports; search = `q` lists) has its own budget of database
connections in this process, smaller than the pool, so whatever one class does the pool keeps
connections for ordinary reads, writes and /health/ready. Within a class one caller may hold only a
few slots (queued ones included), so one misbehaving key cannot take the whole budget. A request
that finds no slot waits at most `wait_seconds` (0 for bulk: a slot is held for a whole transfer, so
waiting would only pile callers up) and is then refused.

The counts are per process: with N workers a caller may hold N times as many.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from service.auth import Principal
from service.config import Settings
from service.errors import TooManyRequests


def caller(principal: Principal) -> Hashable:
    """Who a limit counts against: the API key, or a token's issuer and subject."""
    return principal.key_id or (principal.issuer, principal.subject, principal.name)


class Ticket:
    """One admitted request's slot; `release` is idempotent, so every exit path may call it."""

    def __init__(self, gate: Gate, who: Hashable) -> None:
        self.gate, self.who, self.held = gate, who, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.gate.leave(self.who)


class Gate:
    def __init__(self, name: str, running: int, per_key: int, wait_seconds: float, retry_after: int) -> None:
        self.name, self.per_key, self.wait_seconds = name, per_key, wait_seconds
        self.retry_after = retry_after
        self.slots = asyncio.Semaphore(running)
        self.in_flight: Counter[Hashable] = Counter()

    def _refuse(self, why: str) -> TooManyRequests:
        return TooManyRequests(
            f"{why}; retry after {self.retry_after} s.", headers={"Retry-After": str(self.retry_after)}
        )

    def _count(self, who: Hashable) -> None:
        if self.in_flight[who] >= self.per_key:
            raise self._refuse(f"This key already has {self.per_key} {self.name} requests running")
        self.in_flight[who] += 1

    def leave(self, who: Hashable) -> None:
        self.slots.release()
        self._uncount(who)

    def _uncount(self, who: Hashable) -> None:
        self.in_flight[who] -= 1
        if self.in_flight[who] <= 0:
            del self.in_flight[who]

    async def enter(self, who: Hashable) -> Ticket:
        """A slot within `wait_seconds` (at once when 0), or 429."""
        self._count(who)
        if self.wait_seconds <= 0 and self.slots.locked():
            self._uncount(who)
            raise self._refuse(f"The server is busy with other {self.name} requests")
        try:
            # Not locked: acquire() takes the slot without suspending.
            async with asyncio.timeout(max(self.wait_seconds, 0.001)):
                await self.slots.acquire()
        except TimeoutError:
            self._uncount(who)
            raise self._refuse(f"The server is busy with other {self.name} requests") from None
        except BaseException:
            self._uncount(who)
            raise
        return Ticket(self, who)

    @asynccontextmanager
    async def admitted(self, who: Hashable) -> AsyncIterator[None]:
        ticket = await self.enter(who)
        try:
            yield
        finally:
            ticket.release()


@dataclass
class Gates:
    bulk: Gate
    search: Gate

    @classmethod
    def from_settings(cls, settings: Settings) -> Gates:
        retry = settings.retry_after_seconds
        return cls(
            bulk=Gate("export/import", settings.bulk_max_concurrent, settings.bulk_per_key, 0, retry),
            search=Gate(
                "search",
                settings.search_max_concurrent,
                settings.search_per_key,
                settings.search_queue_seconds,
                max(1, retry // 5),
            ),
        )
