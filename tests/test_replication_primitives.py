"""Read replicas, the consistency token and failover, against real primary/standby clusters made by
tests/support/pg_cluster.py (initdb + pg_basebackup, streaming replication, throw-away dirs)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import greenlet_spawn

from service.config import Settings
from service.db import make_engine
from service.errors import classify_db_error
from service.replication import (
    PRIMARY_ONLY_TOKEN,
    InvalidToken,
    Node,
    ReplicaSet,
    decode_token,
    encode_token,
    engine_url,
    format_lsn,
    parse_lsn,
    session_token,
    split_replica_urls,
)
from service.replication.check import format_report, replication_check
from service.replication.lsn import MAX_LSN
from service.replication.queries import COMMIT_POSITION, NODE_STATE
from tests.support.pg_cluster import Primary, Standby, Workspace, pg_pair, pg_workspace

__all__ = ["pg_pair", "pg_workspace"]  # fixtures, imported for pytest to find

DB = "oia"


def small_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=2, max_overflow=0)


@pytest.fixture(scope="module")
async def pair(pg_pair: tuple[Primary, Standby]) -> tuple[Primary, Standby]:
    """The shared pair with a database and one table, replicated."""
    primary, standby = pg_pair
    await primary.create_database(DB)
    await primary.execute("CREATE TABLE item (id int PRIMARY KEY, version int NOT NULL)", database=DB)
    await primary.execute("INSERT INTO item VALUES (1, 0)", database=DB)
    await standby.wait_replayed(await primary.flush_lsn())
    return primary, standby


@asynccontextmanager
async def replica_set(primary: Primary, standby: Standby, **options: Any) -> AsyncIterator[ReplicaSet]:
    engine = small_engine(engine_url(primary.dsn(DB)))
    replicas = ReplicaSet(engine, primary.dsn(DB), [standby.dsn(DB)], small_engine, **options)
    await replicas.start()
    try:
        yield replicas
    finally:
        await replicas.aclose()
        await engine.dispose()


async def read_version(node: Node) -> int:
    """GET-by-id style: a bare asyncpg connection from the node's pool, as read_connection.py does."""
    pooled = await node.engine.raw_connection()
    driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]
    try:
        return int(await driver.fetchval("SELECT version FROM item WHERE id = 1"))
    finally:
        await greenlet_spawn(pooled.close)  # returning it may talk to the server: in SQLAlchemy's greenlet


# --- tokens and URLs (no server needed) ---------------------------------------------------------


def test_lsn_text_round_trip_and_order() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    for text_lsn in ("0/0", "0/1", "16/B374D848", "FFFFFFFF/FFFFFFFF"):
        assert format_lsn(parse_lsn(text_lsn)) == text_lsn
    # Numeric, not textual: "0/FFFFFFFF" sorts after "1/0" as text.
    assert parse_lsn("0/FFFFFFFF") < parse_lsn("1/0") < parse_lsn("A/0")
    for bad in ("", "16", "16/", "/1", "G/0", "123456789/0", "1/2/3"):
        with pytest.raises(ValueError):
            parse_lsn(bad)


def test_token_round_trip_is_opaque_and_url_safe() -> None:
    for lsn in (0, 1, parse_lsn("16/B374D848"), MAX_LSN):
        token = encode_token(lsn)
        assert re.fullmatch(r"[A-Za-z0-9._-]+", token), token
        assert format_lsn(lsn) not in token
        assert decode_token(token) == lsn
        assert decode_token(f"  {token} ") == lsn  # header whitespace
    assert decode_token(PRIMARY_ONLY_TOKEN) == MAX_LSN


def test_garbled_and_made_up_tokens_are_rejected_cleanly() -> None:
    good = encode_token(parse_lsn("16/B374D848"))
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    candidates = [
        "", "c1.", "c1", "abc", good[:-1], good + "A", good + "==", flipped, good.replace("c1.", "c2."),
        good.upper(), "c1." + "A" * 16, "c1.!!!!!!!!!!!!!!!!", "c1.é" + good[4:], "c1." + "A" * 5000,
        "16/B374D848", "c1.AAAAAAAAAAAAAAAA%3D",
    ]  # fmt: skip
    for token in candidates:
        with pytest.raises(InvalidToken):
            decode_token(token)


def test_multi_host_url_becomes_what_sqlalchemy_and_asyncpg_accept() -> None:
    url = "postgresql://app:p%40ss@db1:5432,db2:5433/oia?target_session_attrs=read-write"
    engine = create_async_engine(engine_url(url))
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert kwargs["host"] == ["db1", "db2"] and kwargs["port"] == [5432, 5433]
    assert kwargs["target_session_attrs"] == "read-write"
    assert kwargs["password"] == "p@ss" and kwargs["database"] == "oia"
    # One host: passed on exactly as written (the single-server set-up is untouched).
    assert engine_url("postgresql://u@/oia?host=/run/pg") == "postgresql+asyncpg://u@/oia?host=/run/pg"
    assert engine_url("postgresql+asyncpg://u@h:6000/x") == "postgresql+asyncpg://u@h:6000/x"
    assert split_replica_urls("postgresql://a@r1:5432/x, postgresql://b@r2:1,r3:2/x?sslmode=require") == [
        "postgresql://a@r1:5432/x",
        "postgresql://b@r2:1,r3:2/x?sslmode=require",
    ]


# --- against a primary and a standby ------------------------------------------------------------


async def test_probe_and_token_sql_need_no_superuser(pair: tuple[Primary, Standby]) -> None:
    primary, standby = pair
    await primary.execute("DO $$ BEGIN CREATE ROLE app LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await standby.wait_replayed(await primary.flush_lsn())
    for node in (primary, standby):
        conn = await node.connect(DB, user="app")
        try:
            state = await conn.fetchrow(NODE_STATE)
            assert state["in_recovery"] is (node is standby)
            if node is primary:
                assert parse_lsn(await conn.fetchval(COMMIT_POSITION)) > 0
        finally:
            await conn.close()


async def test_reads_go_to_the_standby_and_a_token_never_shows_an_older_version(
    pair: tuple[Primary, Standby],
) -> None:
    primary, standby = pair
    async with replica_set(primary, standby) as replicas:
        assert (await replicas.choose()).name.startswith(f"127.0.0.1:{standby.port}")
        writer = async_sessionmaker(replicas.primary.engine, expire_on_commit=False)
        served_by_standby, waits = 0, []
        for version in range(1, 101):
            async with writer() as session:
                await session.execute(text("UPDATE item SET version = :v WHERE id = 1"), {"v": version})
                await session.commit()
                token = await session_token(session)
            started = time.monotonic()
            node = await replicas.choose(decode_token(token))
            waits.append(time.monotonic() - started)
            assert await read_version(node) == version  # never older, whichever node served it
            served_by_standby += not node.is_primary
        waits.sort()
        p50, top = waits[50] * 1000, waits[-1] * 1000
        print(f"\ntoken reads on standby: {served_by_standby}/100; choose p50 {p50:.1f} ms, max {top:.1f} ms")
        assert served_by_standby >= 90


async def test_a_stopped_standby_costs_no_errors(pair: tuple[Primary, Standby]) -> None:
    primary, standby = pair
    async with replica_set(primary, standby, health_interval=0.2) as replicas:
        calls: list[bool] = []

        async def read(node: Node) -> int:
            calls.append(node.is_primary)
            if not node.is_primary:
                await standby.kill()  # the replica is lost between choosing it and using it
            return await read_version(node)

        try:
            await read_version(replicas.replicas[0])  # a pooled connection to the standby, to go stale
            assert await replicas.run_read(read) >= 0
            assert calls == [False, True]  # tried on the standby, answered by the primary
            assert (await replicas.choose()).is_primary  # marked down at once, no health round needed
            await replicas.refresh()
            report = replicas.node_report()[1]
            assert not report.reachable and not report.serving_reads and report.error
            for _ in range(20):  # reads carry on, all from the primary, none raises
                assert await replicas.run_read(read_version, decode_token(PRIMARY_ONLY_TOKEN)) >= 0
                assert await replicas.run_read(read_version) >= 0
        finally:
            await standby.start()
        # Back within a health interval or so of accepting connections again.
        deadline = time.monotonic() + 10
        while (await replicas.choose()).is_primary:
            assert time.monotonic() < deadline, replicas.node_report()
            await asyncio.sleep(0.05)
        # The pool's connections from before the stop are stale: the first read on each fails
        # over to the primary rather than to the client (SQLAlchemy then renews the pool).
        for _ in range(5):
            assert await replicas.run_read(read_version) >= 0


async def test_lag_is_flagged_after_the_limit_and_cleared_on_catch_up(pair: tuple[Primary, Standby]) -> None:
    primary, standby = pair
    async with replica_set(primary, standby, max_lag_seconds=1.0, health_interval=0.2) as replicas:
        await asyncio.sleep(3.0)  # an idle primary: a caught-up standby must not look stale
        report = replicas.node_report()[1]
        assert report.serving_reads and report.lag_seconds == 0.0, report
        assert not (await replicas.choose()).is_primary

        await standby.pause_replay()
        try:
            await primary.execute("UPDATE item SET version = version + 1 WHERE id = 1", database=DB)
            written = time.monotonic()
            token = parse_lsn(await primary.flush_lsn())
            started = time.monotonic()
            assert (await replicas.choose(token)).is_primary  # waited, then gave up on the standby
            waited = time.monotonic() - started
            assert 0.15 <= waited < 0.6, waited
            while not (await replicas.choose()).is_primary:
                assert time.monotonic() - written < 5, replicas.node_report()
                await asyncio.sleep(0.02)
            flagged_after = time.monotonic() - written
            report = replicas.node_report()[1]
            assert report.replay_paused and not report.serving_reads
            assert report.lag_seconds is not None and report.lag_seconds >= 0.7 and report.lag_bytes
            assert flagged_after >= 0.75, flagged_after
        finally:
            await standby.resume_replay()
        resumed = time.monotonic()
        while (await replicas.choose()).is_primary:
            assert time.monotonic() - resumed < 5, replicas.node_report()
            await asyncio.sleep(0.02)
        cleared_after = time.monotonic() - resumed
        print(
            f"\nlag flagged {flagged_after:.2f} s after the write (limit 1 s), cleared {cleared_after:.2f} s"
            f" after resume; token wait gave up after {waited * 1000:.0f} ms"
        )


async def test_many_token_reads_wait_together_for_a_standby_to_catch_up(
    pair: tuple[Primary, Standby],
) -> None:
    primary, standby = pair
    async with replica_set(primary, standby, wait_seconds=2.0) as replicas:
        await standby.pause_replay()
        try:
            await primary.execute("UPDATE item SET version = version + 1 WHERE id = 1", database=DB)
            token = parse_lsn(await primary.flush_lsn())
            expected = await primary.fetchval("SELECT version FROM item WHERE id = 1", database=DB)
            waiting = [asyncio.create_task(replicas.choose(token)) for _ in range(20)]
            await asyncio.sleep(0.3)
            assert not any(task.done() for task in waiting)
        finally:
            await standby.resume_replay()
        resumed = time.monotonic()
        nodes = await asyncio.gather(*waiting)
        assert time.monotonic() - resumed < 0.5
        assert all(not node.is_primary for node in nodes)
        assert await read_version(nodes[0]) == expected


async def test_replication_check_reports_each_node(pair: tuple[Primary, Standby]) -> None:
    primary, standby = pair
    reports = await replication_check(primary.dsn(DB), [standby.dsn(DB)], spacing=0.3)
    table = format_report(reports)
    assert [(r.configured_as, r.role, r.reachable) for r in reports] == [
        ("primary", "primary", True),
        ("replica", "standby", True),
    ], table
    assert reports[1].serving_reads and reports[1].lag_seconds is not None and reports[1].lsn
    down = await replication_check(primary.dsn(DB), ["postgresql://postgres@127.0.0.1:1/oia"], spacing=0)
    assert not down[1].reachable and down[1].role == "unknown" and down[1].error
    print("\n" + table)


# --- failover -----------------------------------------------------------------------------------


async def test_promotion_under_write_load_loses_no_acknowledged_write(pg_workspace: Workspace) -> None:
    primary = await pg_workspace.primary("old-primary")
    standby = await pg_workspace.standby(primary, "successor")
    await primary.execute("CREATE TABLE ledger (id int PRIMARY KEY, at timestamptz DEFAULT now())")
    await primary.enable_sync(standby)  # every acknowledged commit is on the standby too

    hosts = f"127.0.0.1:{primary.port},127.0.0.1:{standby.port}"
    url = f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write"
    # db_role "": this bare cluster has no migrations (and so no service role) to act as
    settings = Settings(database_url=url, db_pool_size=2, db_connect_timeout=2, db_role="")
    engine = make_engine(engine_url(url), settings)  # the service's own engine recipe
    replicas = ReplicaSet(engine, url, [standby.dsn()], small_engine, health_interval=0.2)
    await replicas.start()

    acked: list[tuple[int, float]] = []
    errors: list[BaseException] = []
    stop = asyncio.Event()

    async def write_loop() -> None:
        next_id = 0
        while not stop.is_set():
            next_id += 1
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO ledger (id) VALUES (:id)"), {"id": next_id})
                acked.append((next_id, time.monotonic()))
            except Exception as exc:
                errors.append(exc)
                await asyncio.sleep(0.05)  # a client retrying after a 503
            await asyncio.sleep(0.005)

    def acked_since(moment: float) -> list[float]:
        return [at for _, at in acked if at > moment]

    writer = asyncio.create_task(write_loop())
    try:
        await asyncio.sleep(1.0)
        before = len(acked)
        assert before > 20, errors
        await primary.kill()
        lost_at = time.monotonic()  # from here on, only the promoted standby can acknowledge
        await asyncio.sleep(0.5)  # the time a failover manager would take to decide
        await standby.promote()
        promoted_after = time.monotonic() - lost_at
        while not acked_since(lost_at):
            assert time.monotonic() - lost_at < 15, errors
            await asyncio.sleep(0.01)
        resumed_after = min(acked_since(lost_at)) - lost_at
        while len(acked_since(lost_at)) < 20:
            assert time.monotonic() - lost_at < 30, errors
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await writer

    present = await standby.fetchval("SELECT array_agg(id) FROM ledger")
    missing = {i for i, _ in acked} - set(present)
    assert not missing, f"acknowledged but lost: {sorted(missing)}"
    assert resumed_after < 10, resumed_after
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT inet_server_port()")) == standby.port
    await replicas.refresh()
    primary_report, replica_report = replicas.node_report()
    assert primary_report.reachable and primary_report.server == f"127.0.0.1:{standby.port}"
    assert replica_report.role == "primary" and not replica_report.serving_reads
    assert (await replicas.choose()).is_primary
    await replicas.aclose()
    await engine.dispose()
    kinds = sorted({type(exc).__name__ for exc in errors})
    assert all(answered_503(exc) for exc in errors), [repr(exc) for exc in errors]
    print(
        f"\nfailover: {len(acked)} writes acknowledged ({before} before the loss), all present; promoted"
        f" {promoted_after:.2f} s and writing again {resumed_after:.2f} s after the loss (0.5 s of it waiting"
        f" to promote); {len(errors)} failed writes meanwhile, all 503s: {kinds}"
    )


def answered_503(exc: BaseException) -> bool:
    """What service.errors would make of a write's error: 503 (retry later), never a 500."""
    if isinstance(exc, DBAPIError):
        problem = classify_db_error(exc)
        return problem is not None and problem.status == 503
    return isinstance(exc, (asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, TimeoutError))
