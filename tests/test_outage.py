"""PostgreSQL stopped and started under a running service: 503 + Retry-After while it is down,
never a 500 or a hang, /health/live up, /health/ready down, and recovery with no restart.

The test runs its own throw-away PostgreSQL (pgserver, on a Unix socket) and a real uvicorn process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.database import ROOT, migrate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Throwaway:
    """A private PostgreSQL that the test may stop and start at will."""

    def __init__(self, data: Path) -> None:
        from service.ops.embedded import embedded_url, import_pgserver

        self.server = import_pgserver().get_server(data, cleanup_mode="delete")

        self.url = embedded_url(str(data))

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Throwaway]:
    pg = Throwaway(tmp_path_factory.mktemp("outage-pg"))
    migrate(pg.url)
    yield pg
    pg.server.cleanup()


@pytest.fixture(scope="module")
def api(throwaway: Throwaway) -> Iterator[tuple[str, str]]:
    """A uvicorn process on the throw-away database, and an admin key for it."""
    env = {**os.environ, "DATABASE_URL": throwaway.url, "DB_CONNECT_TIMEOUT": "2", "AUTH_CACHE_SECONDS": "60"}
    made = subprocess.run(
        [sys.executable, "-m", "service.cli", "keys", "create", "--role", "admin", "--name", "outage"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open("/tmp/outage-uvicorn.log", "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the service did not become ready")
        yield base, key
    finally:
        process.terminate()
        process.wait(10)


async def hammer(
    client: httpx.AsyncClient, key: str, until: float, log: list[tuple[float, int, float, Any]], one: str
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    n = 0
    while time.monotonic() < until:
        n += 1
        started = time.monotonic()
        try:
            if n % 3 == 1:
                response = await client.get("/api/v1/activities", headers=headers)
            elif n % 3 == 2:  # GET by id runs on a bare pooled connection: it must recover too
                response = await client.get(f"/api/v1/activities/{one}", headers=headers)
            else:
                body = {
                    "identifier": f"OUT-{id(log)}-{started}",
                    "title": "t",
                    "activity_type": "other",
                    "lead_component": "CBP",
                    "countries": ["MX"],
                }
                response = await client.post("/api/v1/activities", json=body, headers=headers)
            log.append((started, response.status_code, time.monotonic() - started, response))
        except httpx.HTTPError as exc:  # a reset connection is a failure too
            log.append((started, -1, time.monotonic() - started, exc))
        await asyncio.sleep(0.02)


async def test_database_outage_is_503_then_recovers(api: tuple[str, str], throwaway: Throwaway) -> None:
    base, key = api
    log: list[tuple[float, int, float, Any]] = []
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, timeout=15) as client:
        body = {"identifier": "OUT-ONE", "title": "t", "activity_type": "other", "lead_component": "CBP"}
        made = await client.post("/api/v1/activities", json={**body, "countries": ["MX"]}, headers=auth)
        assert made.status_code == 201, made.text
        start = time.monotonic()
        load = asyncio.gather(*(hammer(client, key, start + 9, log, made.json()["id"]) for _ in range(4)))
        await asyncio.sleep(1.5)
        stopping = time.monotonic()
        await asyncio.to_thread(throwaway.stop)
        await asyncio.sleep(1.5)
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        await asyncio.to_thread(throwaway.start)
        restarted = time.monotonic()
        await load
    assert live.status_code == 200
    assert ready.status_code == 503 and ready.headers["content-type"] == "application/problem+json"
    statuses = {status for _, status, _, _ in log}
    assert statuses <= {200, 201, 503}, [(s, r) for _, s, _, r in log if s not in (200, 201, 503)][:3]
    assert max(duration for _, _, duration, _ in log) < 10
    down = [r for t, s, _, r in log if s == 503]
    assert down, "no request saw the outage"
    assert all(
        r.headers["retry-after"] and r.headers["content-type"] == "application/problem+json" for r in down
    )
    assert not [t for t, s, _, _ in log if s == 503 and t < stopping - 0.2]
    recovered = [t for t, s, _, _ in log if s in (200, 201) and t > restarted]
    assert recovered and recovered[0] - restarted < 5
    by_id = [(t, s) for t, s, _, r in log if s != -1 and "/activities/" in str(r.request.url)]
    assert any(s == 200 and t > restarted for t, s in by_id), "GET by id did not recover"
