"""Engine and session factories, and the per-request session dependency."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_

from service.config import Settings
from service.errors import BadRequest
from service.replication import InvalidToken, Node, ReplicaSet
from service.replication.asgi import HEADER, choose_for_request, note_replica_failure
from service.replication.urls import engine_url
from service.web.context import current_reader

log = logging.getLogger("service.db")


def normalize_url(url: str) -> str:
    """Accept `postgresql://` (and `postgres://`) as well as `postgresql+asyncpg://`, and libpq's
    multi-host form (`h1:5432,h2:5433`, for failover), which SQLAlchemy needs as `host=` parameters."""
    try:
        return engine_url(url)
    except ValueError as exc:
        raise ValueError(f"DATABASE_URL: {exc}") from None


def make_engine(url: str, settings: Settings) -> AsyncEngine:
    """An engine tuned for an API: bounded waits everywhere so an outage becomes a fast 503; every
    connection acts as the service role, with the reader's clearance applied at checkout."""
    server_settings = {
        "timezone": "UTC",
        "statement_timeout": str(settings.db_statement_timeout_ms),
        # A backstop for a request stalled mid-transaction (the HTTP timeouts come first).
        "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms),
        "application_name": "oia-registry",
    }
    if settings.db_role:
        server_settings["role"] = settings.db_role
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        # Overflow connections churn (fork + auth per connect); a full pool should queue instead.
        max_overflow=0,
        pool_timeout=settings.db_connect_timeout,
        pool_pre_ping=settings.db_pool_pre_ping,
        connect_args={
            "timeout": settings.db_connect_timeout,
            "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
            "server_settings": server_settings,
        },
    )
    event.listen(engine.sync_engine, "checkout", apply_reader)
    return engine


def reader_sql(reader: tuple[int, str | None] | None) -> str:
    """The statement that gives a connection this reader's row-level security settings (no reader:
    nothing sensitive is visible). Values inlined: a rank and a component code, quoted."""
    rank, component = reader if reader is not None else (-1, None)
    code = (component or "").replace("'", "''")
    return (
        f"SELECT set_config('oia.clearance', '{int(rank)}', false), "
        f"set_config('oia.editor_component', '{code}', false)"
    )


def apply_reader(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """On every checkout: give the connection the current context's reader (service.web.context),
    unless it already has it (most checkouts: one round trip only when the reader changes). Session
    settings, not transaction-local ones: the hot reads run in autocommit, where a setting made with
    set_config(..., true) would end with its own statement. Run on the driver outside any
    transaction (the pool hands connections out idle): a session setting made inside one would be
    undone by the rollback that returns the connection to the pool."""
    reader = current_reader()
    if record.info.get("reader", "unset") == reader:
        return
    await_(dbapi_connection.driver_connection.execute(reader_sql(reader)))
    record.info["reader"] = reader


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (responses are built after the commit)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def close_quietly(session: AsyncSession) -> None:
    try:
        await session.close()
    except (DBAPIError, OSError):
        # The connection died under us (database restart): SQLAlchemy has already invalidated
        # it, there is nothing left to roll back, and the response has been decided.
        log.warning("session close failed on a dead connection")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; writes commit explicitly, anything uncommitted is rolled back."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    session = maker()
    try:
        yield session
    finally:
        await close_quietly(session)


async def read_node(request: Request) -> Node | None:
    """The node that serves this request's reads: a fresh-enough standby, else the primary, by
    the request's `OIA-Consistency-Token` (service.replication); None when nothing routes reads
    (an app started without its lifespan, as some tests do)."""
    replicas: ReplicaSet | None = getattr(request.app.state, "replicas", None)
    if replicas is None:
        return None
    try:
        return await choose_for_request(replicas, request)
    except InvalidToken as exc:
        if request.url.path.startswith("/api/"):
            # Who is asking comes before what they sent: without a valid key this is a 401, not a 400
            # (a key check the route would have made anyway; it is cached per key).
            from service.auth import current_principal

            await current_principal(request)
        raise BadRequest(f"{exc}: send back the {HEADER} header exactly as a write returned it.") from None


def read_failed(request: Request, node: Node | None, exc: BaseException) -> None:
    """A read's database error: on a replica, ReplicaRetryMiddleware runs the request again on the primary."""
    if node is not None:
        note_replica_failure(request, request.app.state.replicas, node, exc)


def _makers(request: Request, node: Node | None) -> tuple[async_sessionmaker[AsyncSession], ...]:
    """(autocommit, transactional) session makers for `node`."""
    state = request.app.state
    if node is None or node.is_primary:
        return getattr(state, "read_sessionmaker", state.sessionmaker), state.sessionmaker
    return state.replica_makers[node]  # type: ignore[no-any-return]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for read-only routes, on the node read_node chose: autocommit, so a read costs no
    BEGIN/ROLLBACK round trips. Each read is one statement, which runs on one snapshot anyway."""
    async with _session_on_read_node(request, transactional=False) as session:
        yield session


async def get_snapshot_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A transactional read session on the node read_node chose: for reads of several statements
    that must agree (one snapshot) or need a transaction (an export's server-side cursor, SET LOCAL)."""
    async with _session_on_read_node(request, transactional=True) as session:
        yield session


@asynccontextmanager
async def _session_on_read_node(request: Request, *, transactional: bool) -> AsyncIterator[AsyncSession]:
    """A session on the node read_node chose; a database error on a replica is noted for the retry
    (a context manager, not a nested generator, so the route's exception reaches the `except`)."""
    node = await read_node(request)
    session = _makers(request, node)[int(transactional)]()
    try:
        yield session
    except Exception as exc:
        read_failed(request, node, exc)
        raise
    finally:
        await close_quietly(session)


async def driver_connection(session: AsyncSession, *, begin: bool = True) -> asyncpg.Connection:
    """The asyncpg connection under a session, inside its transaction: for work SQLAlchemy has no
    verb for (binary COPY in bulk import), the one-statement writes, and for tests to hand routes
    their transaction. `begin=False`: no transaction is started for it (one statement is atomic on
    its own; inside a caller's transaction, a test's, it still runs in that)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement: a statement sent
    # straight to the driver first would run in autocommit (a row lock gone at once). Begin now.
    if begin and adapted._transaction is None and not adapted.autocommit:
        await adapted._start_transaction()
    return raw.driver_connection  # type: ignore[return-value]


def lookup_session(app: FastAPI) -> AbstractAsyncContextManager[AsyncSession]:
    """A short read session outside the request's own, for a lookup done before the route runs
    (the API key). Tests swap in their transaction's session through `app.state.lookup_session`."""
    override = getattr(app.state, "lookup_session", None)
    if override is not None:
        return override()  # type: ignore[no-any-return]
    maker: async_sessionmaker[AsyncSession] = getattr(app.state, "read_sessionmaker", app.state.sessionmaker)
    return maker()


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
SnapshotSessionDep = Annotated[AsyncSession, Depends(get_snapshot_session)]
