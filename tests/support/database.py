"""Throw-away databases for tests: the server they live on, `alembic upgrade head`, and one
`fresh_database()` for every test that needs a database of its own (committed writes, a CLI, a
live server, a migration round trip)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from service.db import normalize_url
from service.ops.embedded import embedded_url

ROOT = Path(__file__).resolve().parents[2]


def server_url() -> str:
    """TEST_DATABASE_URL's server, or the embedded one under ./var/pg-test."""
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_url(url) if url else embedded_url(str(ROOT / "var" / "pg-test"))


def dsn(url: str) -> str:
    """The URL as asyncpg takes it."""
    return str(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


async def admin_sql(url: str, sql: str) -> None:
    """One statement on its own connection (CREATE/DROP DATABASE cannot run in a transaction)."""
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def migrate(url: str, target: str = "head", direction: str = "upgrade") -> None:
    """Alembic, exactly as `oia migrate` runs it."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    getattr(command, direction)(config, target)


async def _create(prefix: str) -> str:
    server = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await admin_sql(server, f'CREATE DATABASE "{name}"')
    return str(make_url(server).set(database=name).render_as_string(hide_password=False))


async def _drop(url: str) -> None:
    name = make_url(url).database
    await admin_sql(server_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(prefix: str = "oia_test", *, migrated: bool = True) -> Iterator[str]:
    """A new, uniquely named database (at the newest migration unless `migrated=False`), dropped with
    its connections on exit; for sync fixtures (`fresh_database_async` in a running event loop)."""
    url = asyncio.run(_create(prefix))
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        asyncio.run(_drop(url))


@asynccontextmanager
async def fresh_database_async(prefix: str = "oia_test", *, migrated: bool = True) -> AsyncIterator[str]:
    """`fresh_database` for async code."""
    url = await _create(prefix)
    try:
        if migrated:
            await asyncio.to_thread(migrate, url)
        yield url
    finally:
        await _drop(url)
