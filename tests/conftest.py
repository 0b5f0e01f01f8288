"""Test harness: a fresh PostgreSQL database built by `alembic upgrade head`, one rollback per test.

TEST_DATABASE_URL names a server (any database on it) where a throw-away database is created for
the run and dropped afterwards; without it the embedded server under ./var/pg-test is used.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("AUTH_CACHE_SECONDS", "0")  # revocation must show on the next request
# pytest keeps the last three runs' temporary directories under one root per user and deletes older
# ones as a run starts: with runs of other checkouts on this machine, a throw-away PostgreSQL could
# lose its data directory mid-test. A root per checkout keeps them apart.
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(Path(__file__).resolve().parent.parent / "var" / "tmp"))

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from service.config import Settings
from service.db import (
    driver_connection,
    get_read_session,
    get_session,
    get_snapshot_session,
    make_sessionmaker,
)
from service.main import create_app
from service.ops.keys import create_key
from service.records.read_connection import get_read_connection
from service.schemas.vocab import Role
from tests.support.database import fresh_database


def pytest_configure() -> None:
    Path(os.environ["PYTEST_DEBUG_TEMPROOT"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, uniquely named database at the newest migration; dropped after the run."""
    with fresh_database("oia_test") as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, auth_cache_seconds=0)


@pytest.fixture(scope="session")
async def engine(database_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test; the app's
    commits only release savepoints."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        db = AsyncSession(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield db
        finally:
            await db.close()
            await outer.rollback()


@pytest.fixture
def app(settings: Settings, session: AsyncSession, engine: AsyncEngine) -> Any:
    application = create_app(settings)
    application.state.sessionmaker = make_sessionmaker(engine)
    application.state.engine = engine  # where a write's OIA-Consistency-Token is read

    async def test_session() -> AsyncIterator[AsyncSession]:
        try:
            yield session
        except Exception:
            await session.rollback()  # back to the savepoint: the failed request wrote nothing
            raise

    async def test_connection() -> AsyncIterator[asyncpg.Connection]:
        yield await driver_connection(session)  # inside the test's transaction, like its session

    @asynccontextmanager
    async def lookup_session() -> AsyncIterator[AsyncSession]:
        yield session  # the test's own transaction: keys made by the test are visible

    application.dependency_overrides[get_session] = test_session
    application.dependency_overrides[get_read_session] = test_session
    application.dependency_overrides[get_snapshot_session] = test_session
    application.dependency_overrides[get_read_connection] = test_connection
    application.state.lookup_session = lookup_session
    return application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


class Keys(dict[str, dict[str, str]]):
    """Authorization headers by role name: admin, cbp (editor), ice (editor), reader."""

    ids: dict[str, uuid.UUID]


@pytest.fixture
async def keys(session: AsyncSession) -> Keys:
    made = Keys()
    made.ids = {}
    for label, role, component in (
        ("admin", Role.admin, None),
        ("cbp", Role.editor, "CBP"),
        ("ice", Role.editor, "ICE"),
        ("reader", Role.reader, None),
    ):
        key_id, key = await create_key(session, name=f"test-{label}", role=role, component=component)
        made[label] = {"Authorization": f"Bearer {key}"}
        made.ids[label] = key_id
    await session.commit()
    return made
