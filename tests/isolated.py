"""A second, committed-for-real database for tests about concurrency, where rollback-per-test
cannot work (each request must commit on its own connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from service.config import Settings
from service.db import make_sessionmaker
from service.main import create_app
from service.ops.keys import create_key
from service.schemas.vocab import Role
from tests.support.database import fresh_database_async


@dataclass
class Isolated:
    url: str
    engine: AsyncEngine
    maker: async_sessionmaker[Any]
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


async def isolated_world() -> AsyncIterator[Isolated]:
    async with fresh_database_async("oia_iso") as url:
        engine = create_async_engine(url, pool_size=20, max_overflow=0)
        maker = make_sessionmaker(engine)
        app = create_app(Settings(database_url=url, auth_cache_seconds=0))
        app.state.engine = engine
        app.state.sessionmaker = maker
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            world = Isolated(url=url, engine=engine, maker=maker, client=client)
            async with maker() as session:
                for label, role, component in (
                    ("admin", Role.admin, None),
                    ("cbp", Role.editor, "CBP"),
                    ("cbp2", Role.editor, "CBP"),
                ):
                    _, key = await create_key(session, name=f"iso-{label}", role=role, component=component)
                    world.headers[label] = {"Authorization": f"Bearer {key}"}
                await session.commit()
            yield world
        await engine.dispose()
