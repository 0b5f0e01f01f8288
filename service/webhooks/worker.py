"""The dispatcher: a loop that turns new audit entries into deliveries and sends the due ones.

Any number may run (in `oia serve` processes and `oia worker`s): the cursor row and the delivery
rows are claimed with SKIP LOCKED, so none waits on another and no event is sent twice in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.auth import Principal, act_as
from service.webhooks import queue
from service.webhooks.events import fan_out
from service.webhooks.sending import Deliverer
from service.webhooks.settings import WebhookSettings, get_webhook_settings

log = logging.getLogger("service.webhooks")
# Set by `oia serve` (unless --no-worker) so its app runs a dispatcher; apps built elsewhere (tests,
# a bare `uvicorn service.main:create_app`) run none unless asked.
IN_PROCESS_ENV = "OIA_IN_PROCESS_WORKER"
CONCURRENCY = 10  # attempts in flight per dispatcher (each holds a pooled connection only briefly)


class Dispatcher:
    def __init__(
        self, maker: async_sessionmaker[AsyncSession], settings: WebhookSettings | None = None
    ) -> None:
        self.settings = settings or get_webhook_settings()
        self.maker = maker
        self.deliverer = Deliverer(maker, self.settings)
        self._gate = asyncio.Semaphore(CONCURRENCY)

    async def step(self) -> int:
        """One round: fan out new events, then send what is due; how much work was found."""
        act_as(Principal.system("webhook dispatcher"))  # the audit log is read whole
        async with self.maker() as session:
            read = await fan_out(session)
        async with self.maker() as session:
            claimed = await queue.claim_due(
                session, self.settings.webhook_batch_size, self.deliverer.lease_seconds
            )
        await asyncio.gather(*(self._one(d) for d in claimed))
        return read + len(claimed)

    async def _one(self, delivery: dict[str, object]) -> None:
        async with self._gate:
            try:
                await self.deliverer.deliver(delivery)
            except Exception:  # one bad delivery must not stop the others; its lease runs out
                log.exception("webhook delivery %s failed unexpectedly", delivery.get("id"))

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until `stop` is set (or cancelled): steps, pausing only when a step found nothing."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                busy = await self.step()
            except Exception:  # the database restarting, say: try again after a pause
                log.exception("webhook dispatcher step failed")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_seconds)


def start_in_app(app: FastAPI) -> Callable[[], object]:
    """Start a dispatcher task for `oia serve` when asked (IN_PROCESS_ENV); returns its stopper."""
    if os.environ.get(IN_PROCESS_ENV) != "1":
        return lambda: None
    task = asyncio.create_task(Dispatcher(app.state.sessionmaker).run(), name="webhook-dispatcher")
    return task.cancel


async def run_worker() -> None:
    """`oia worker`: a dispatcher on its own, until interrupted."""
    from service.config import get_settings
    from service.db import make_engine, make_sessionmaker
    from service.ops.embedded import database_url

    settings = get_settings()
    engine = make_engine(database_url(settings), settings)
    try:
        log.info("webhook worker started")
        await Dispatcher(make_sessionmaker(engine)).run()
    finally:
        await engine.dispose()
