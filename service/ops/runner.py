"""How the `oia` commands reach the database: the configured URL, and one committed transaction as
the operator (moved out of service/cli.py so that the commands stay thin)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from service.config import get_settings
from service.db import make_engine, make_sessionmaker
from service.ops.embedded import database_url

T = TypeVar("T")


def configured_url() -> str:
    """DATABASE_URL, or the embedded server (started on demand)."""
    return database_url(get_settings())


def run_with_session(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(session)` in one committed transaction, as the operator: an admin who may read
    every marking (the CLI runs on the server, where whoever runs it can read the database)."""

    async def main() -> T:
        from service.auth import Principal, act_as

        act_as(Principal.system("cli"))
        settings = get_settings()
        engine = make_engine(configured_url(), settings)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())
