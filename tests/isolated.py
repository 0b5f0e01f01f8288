"""A second, committed-for-real database for tests about concurrency, where rollback-per-test
cannot work (each request must commit on its own connection)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from service.config import Settings
from service.db import make_sessionmaker
from service.main import create_app
from service.ops.keys import create_key
from service.schemas.vocab import Role
from tests.conftest import _admin, migrate, server_url


@dataclass
class Isolated:
    url: str
    engine: AsyncEngine
    maker: async_sessionmaker[Any]
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


async def isolated_world() -> AsyncIterator[Isolated]:
    server = server_url()
    name = f"oia_iso_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(migrate, url)
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
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
