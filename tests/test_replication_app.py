"""The whole service over a real primary and a streaming hot standby (tests/support/pg_cluster.py):
reads served by the standby, read-your-writes with OIA-Consistency-Token even while the standby's
replay is paused, row-level security on the standby, a stopped standby causing no errors, and the
replication section of /health/ready. One pair and one app for the module (clusters are slow)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from service.auth import Principal, act_as
from service.replication.asgi import HEADER
from service.replication.token import decode_token
from service.schemas.vocab import Role, Sensitivity
from tests.factories import activity
from tests.support.pg_cluster import Primary, Standby, pg_pair
from tests.support.replica_app import DB, app_of, prepare, running_app

__all__ = ["pg_pair"]  # a fixture, imported for pytest to find

API = "/api/v1/activities"


@dataclass
class Setup:
    client: httpx.AsyncClient
    primary: Primary
    standby: Standby
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
async def setup(pg_pair: tuple[Primary, Standby]) -> AsyncIterator[Setup]:
    primary, standby = pg_pair
    headers = await prepare(primary, standby)
    async with running_app(primary.dsn(DB), standby.dsn(DB)) as client:
        await wait_serving(client, True)
        yield Setup(client, primary, standby, headers)


async def wait_serving(client: httpx.AsyncClient, serving: bool, within: float = 15) -> None:
    """Until the health loop has the standby serving reads (or not)."""
    replicas = app_of(client).state.replicas
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if [r.serving_reads for r in replicas.node_report()[1:]] == [serving]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"standby serving_reads never became {serving}: {replicas.node_report()}")


async def create(s: Setup, **fields: Any) -> httpx.Response:
    response = await s.client.post(API, json=activity(**fields), headers=s.headers["admin"])
    assert response.status_code == 201, response.text
    return response


async def rename(s: Setup, made: httpx.Response, title: str) -> httpx.Response:
    headers = {**s.headers["admin"], "If-Match": made.headers["ETag"]}
    response = await s.client.patch(f"{API}/{made.json()['id']}", json={"title": title}, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_reads_come_from_the_standby_and_a_token_brings_the_write(setup: Setup) -> None:
    s = setup
    made = await create(s, title="before")
    await s.standby.wait_replayed(await s.primary.flush_lsn())
    record = f"{API}/{made.json()['id']}"
    await s.standby.pause_replay()
    try:
        renamed = await rename(s, made, "after")
        token = renamed.headers[HEADER]
        decode_token(token)
        # Only the standby, whose replay is paused, can still answer with the old title: the read
        # without a token came from it (it is well within REPLICA_MAX_LAG_SECONDS).
        stale = await s.client.get(record, headers=s.headers["admin"])
        assert stale.status_code == 200 and stale.json()["title"] == "before"
        listed = await s.client.get(API, params={"limit": 200}, headers=s.headers["admin"])
        assert {a["title"] for a in listed.json()["items"] if a["id"] == made.json()["id"]} == {"before"}
        # With the token: never older than the write (the standby cannot get there: the primary).
        with_token = {**s.headers["admin"], HEADER: token}
        fresh = await s.client.get(record, headers=with_token)
        assert fresh.status_code == 200 and fresh.json()["title"] == "after"
        assert fresh.json()["version"] == renamed.json()["version"]
        listed = await s.client.get(API, params={"limit": 200}, headers=with_token)
        assert {a["title"] for a in listed.json()["items"] if a["id"] == made.json()["id"]} == {"after"}
        history = await s.client.get(f"{record}/history", headers=with_token)
        assert len(history.json()["items"]) == 2
    finally:
        await s.standby.resume_replay()
    # The service's own connections are on the standby (the reader hook names them oia-registry).
    on_standby = await s.standby.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'oia-registry'", database=DB
    )
    assert on_standby > 0


async def feed(s: Setup, headers: dict[str, str]) -> set[tuple[str, int]]:
    """(id, version) of every change in the feed, followed to its end."""
    seen: set[tuple[str, int]] = set()
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = await s.client.get("/api/v1/changes", params=params, headers=headers)
        assert page.status_code == 200, page.text
        seen |= {(c["id"], c["version"]) for c in page.json()["items"]}
        if not page.json()["items"]:
            return seen
        params["after"] = page.json()["next_cursor"]


async def test_a_token_never_returns_an_older_version(setup: Setup) -> None:
    s = setup
    made = await create(s)
    record = f"{API}/{made.json()['id']}"
    current = made
    for i in range(20):
        current = await rename(s, current, f"round {i}")
        headers = {**s.headers["admin"], HEADER: current.headers[HEADER]}
        read = await s.client.get(record, headers=headers)
        assert read.json()["version"] == current.json()["version"]
        assert (made.json()["id"], read.json()["version"]) in await feed(s, headers)
    # Writes also answer the token with no replica involved, and reads with it stay correct while
    # replay is paused: every one of them is then the primary's.
    await s.standby.pause_replay()
    try:
        for i in range(5):
            current = await rename(s, current, f"paused {i}")
            headers = {**s.headers["admin"], HEADER: current.headers[HEADER]}
            read = await s.client.get(record, headers=headers)
            assert read.json()["version"] == current.json()["version"]
    finally:
        await s.standby.resume_replay()


async def test_row_level_security_holds_on_the_standby(setup: Setup) -> None:
    s = setup
    secret = await create(s, sensitivity="les", title="LES only")
    await s.standby.wait_replayed(await s.primary.flush_lsn())
    record = f"{API}/{secret.json()['id']}"
    assert (await s.client.get(record, headers=s.headers["sbu"])).status_code == 404
    assert (await s.client.get(record, headers=s.headers["les"])).status_code == 200
    listed = await s.client.get(API, params={"limit": 200}, headers=s.headers["sbu"])
    assert secret.json()["id"] not in {a["id"] for a in listed.json()["items"]}
    # PostgreSQL alone, on the standby, through the service's own replica engine (role + reader hook).
    node = app_of(s.client).state.replicas.replicas[0]
    for clearance, expected in ((Sensitivity.sbu, 0), (Sensitivity.les, 1)):
        act_as(Principal(key_id=None, name="t", role=Role.reader, component=None, clearance=clearance))
        async with node.engine.connect() as conn:
            assert not await conn.scalar(text("SELECT pg_is_in_recovery() = false"))
            seen = await conn.scalar(
                text("SELECT count(*) FROM activities WHERE id = :id"), {"id": secret.json()["id"]}
            )
        assert seen == expected, clearance


async def test_a_stopped_standby_causes_no_errors(setup: Setup) -> None:
    s = setup
    made = await create(s)
    await s.standby.stop()
    try:
        # At once (before the health loop has noticed) and after: every read is answered.
        for _ in range(30):
            for path in (
                f"{API}/{made.json()['id']}",
                API,
                f"{API}/{made.json()['id']}/history",
                "/api/v1/footprint",
            ):
                response = await s.client.get(path, headers=s.headers["admin"])
                assert response.status_code == 200, (path, response.text)
        await wait_serving(s.client, False)
        ready = await s.client.get("/health/ready")
        assert ready.status_code == 200
        standby = ready.json()["replication"][1]
        assert standby["reachable"] is False and standby["serving_reads"] is False
    finally:
        await s.standby.start()
    await wait_serving(s.client, True)


async def test_a_standby_lost_under_open_connections_is_retried_on_the_primary(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    """The health loop is made too slow to notice: the reads find the standby's pooled connections
    dead, and ReplicaRetryMiddleware answers each from the primary."""
    s = setup
    made = await create(s)
    await s.standby.wait_replayed(await s.primary.flush_lsn())
    async with running_app(s.primary.dsn(DB), s.standby.dsn(DB), replica_health_interval_seconds=60) as slow:
        paths = [f"{API}/{made.json()['id']}", API, f"{API}/{made.json()['id']}/history"]
        for path in paths:  # warm the standby's pool
            assert (await slow.get(path, headers=s.headers["admin"])).status_code == 200
        assert app_of(slow).state.replicas.node_report()[1].serving_reads
        await s.standby.kill()
        try:
            with caplog.at_level(logging.WARNING, logger="service.replication"):
                for path in paths * 3:
                    response = await slow.get(path, headers=s.headers["admin"])
                    assert response.status_code == 200, (path, response.text)
            assert any("on the primary" in r.getMessage() for r in caplog.records)
            assert not app_of(slow).state.replicas.node_report()[1].serving_reads  # marked down at once
        finally:
            await s.standby.start()
    await wait_serving(s.client, True)


async def test_health_ready_reports_each_node(setup: Setup) -> None:
    ready = await setup.client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    nodes = ready.json()["replication"]
    assert [(n["configured_as"], n["role"]) for n in nodes] == [
        ("primary", "primary"),
        ("replica", "standby"),
    ]
    assert nodes[1]["serving_reads"] is True and nodes[1]["lag_seconds"] is not None


async def test_replication_check_prints_each_node(setup: Setup) -> None:
    s = setup
    env = {
        **os.environ,
        "DATABASE_URL": s.primary.dsn(DB),
        "DATABASE_REPLICA_URLS": s.standby.dsn(DB),
    }
    script = Path(sys.executable).with_name("oia")
    done = await asyncio.to_thread(
        subprocess.run,
        [str(script), "replication-check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["NODE", "AS", "ROLE"]
    assert lines[1].split()[1:4] == ["primary", "primary", "yes"]
    assert lines[2].split()[1:5] == ["replica", "standby", "yes", "yes"]
    await s.standby.stop()
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            [str(script), "replication-check", "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        await s.standby.start()
    assert done.returncode == 1
    nodes = json.loads(done.stdout)
    assert nodes[1]["reachable"] is False and nodes[1]["error"]
    await wait_serving(s.client, True)
