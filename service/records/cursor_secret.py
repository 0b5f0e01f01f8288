"""Where the cursor signing key comes from: CURSOR_SECRET, else the database's own (migration 0008).

Every worker and every server on one database then signs alike, and cursors outlive restarts with
nothing to configure. If the database cannot be read at start-up the process keeps a random key of its
own (cursors it hands out work only on it) and retries in the background until it can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.records.cursor import set_secret

log = logging.getLogger("service.cursor")
_QUERY = text("SELECT value FROM service_secrets WHERE name = 'cursor'")


async def _read(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        value = await connection.scalar(_QUERY)
    return str(value) if value else None


async def load_cursor_secret(
    engine: AsyncEngine, configured: str | None, retry_seconds: float = 5.0
) -> Callable[[], None]:
    """Install the key; returns what stops a background retry (a no-op when none was needed)."""
    if configured:
        set_secret(configured)
        return lambda: None
    try:
        value = await asyncio.wait_for(_read(engine), timeout=5)
    except Exception as exc:  # the database is down or not migrated: retry, do not fail start-up
        log.warning("cursor secret not readable yet (%r); retrying in the background", exc)
        value = None
    if value:
        set_secret(value)
        return lambda: None
    task = asyncio.get_running_loop().create_task(_retry(engine, retry_seconds))
    return task.cancel


async def _retry(engine: AsyncEngine, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            value = await asyncio.wait_for(_read(engine), timeout=5)
        except Exception:  # still down: keep waiting
            continue
        if value:
            set_secret(value)
            log.info("cursor secret loaded from the database")
            return
