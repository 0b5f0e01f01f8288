"""The whole service over a throw-away primary (and standbys): its database migrated on the primary,
keys made there, the app run with its lifespan (so the ReplicaSet, its health loop and the replica
engines are the real ones)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from service.config import Settings
from service.db import make_sessionmaker, normalize_url
from service.main import create_app
from service.ops.keys import create_key
from service.schemas.vocab import Role, Sensitivity
from tests.support.database import migrate
from tests.support.pg_cluster import Primary, Standby

DB = "oia"

PRINCIPALS = {
    # label: (role, component, clearance)
    "admin": (Role.admin, None, Sensitivity.les),
    "sbu": (Role.reader, None, Sensitivity.sbu),
    "les": (Role.reader, None, Sensitivity.les),
}


async def prepare(primary: Primary, *standbys: Standby) -> dict[str, dict[str, str]]:
    """Create and migrate the service's database on `primary`, make keys, wait for the standbys."""
    await primary.create_database(DB)
    await asyncio.to_thread(migrate, normalize_url(primary.dsn(DB)))
    headers = await make_keys(primary.dsn(DB))
    lsn = await primary.flush_lsn()
    for standby in standbys:
        await standby.wait_replayed(lsn)
    return headers


async def make_keys(url: str) -> dict[str, dict[str, str]]:
    """Authorization headers by label (PRINCIPALS), keys made as the migrating login role."""
    setup = create_async_engine(normalize_url(url))
    headers = {}
    try:
        async with make_sessionmaker(setup)() as session:
            for label, (role, component, clearance) in PRINCIPALS.items():
                _, key = await create_key(
                    session, name=f"r-{label}", role=role, component=component, clearance=clearance
                )
                headers[label] = {"Authorization": f"Bearer {key}"}
            await session.commit()
    finally:
        await setup.dispose()
    return headers


@asynccontextmanager
async def running_app(
    database_url: str, *replica_urls: str, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app, started (lifespan) with these URLs; an httpx client on it (app at client.app)."""
    chosen: dict[str, Any] = {
        "auth_cache_seconds": 0,
        "replica_health_interval_seconds": 0.2,
        "db_pool_size": 4,
    }
    config = Settings(
        database_url=database_url, database_replica_urls=",".join(replica_urls), **{**chosen, **settings}
    )
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def app_of(client: httpx.AsyncClient) -> FastAPI:
    return client.app  # type: ignore[attr-defined,no-any-return]
