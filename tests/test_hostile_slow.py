"""Issue 19 against a real server (`oia serve`, raw sockets): slow and stalled clients cannot hold the
connections that other requests and /health/ready need (finding 1), strangers' uploads are refused
before they are read (finding 3), and idle or half-sent connections are timed out (finding 8)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.live_server import LiveServer, admin_key, live_server
from tests.support.database import dsn
from tests.support.raw_http import closed_within, connect, head, read_answer, stalled, upload_until_answered

LIMITS = {
    "HEADER_TIMEOUT_SECONDS": "2",
    "KEEP_ALIVE_SECONDS": "2",
    "BODY_READ_TIMEOUT_SECONDS": "2",
    "WRITE_TIMEOUT_SECONDS": "3",
    "BULK_MAX_CONCURRENT": "3",
    "BULK_PER_KEY": "2",
    "IMPORT_CHUNK_ROWS": "10",  # a stalled import has opened its transaction by the time it stalls
    "MAX_IMPORT_BYTES": str(64 * 1024 * 1024),
}
ROWS = 3000  # ~7 MB of CSV: far more than the socket buffers between a stalled client and the server
EXPORT = "/api/v1/activities/export?format=csv"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("hostile-slow"), env=LIMITS) as server:
        lines = [
            json.dumps(
                {
                    "identifier": f"SLOW-{n:05d}",
                    "title": f"Bulk row {n}",
                    "description": "cargo screening liaison " * 90,
                    "activity_type": "other",
                    "status": "active",
                    "lead_component": "CBP",
                    "countries": ["MX"],
                }
            )
            for n in range(ROWS)
        ]
        created = httpx.post(
            f"{server.base_url}/api/v1/activities/import",
            content="\n".join(lines).encode(),
            headers={**bearer(server.key), "Content-Type": "application/x-ndjson"},
            timeout=120,
        )
        assert created.status_code == 201, created.text
        yield server


@pytest.fixture(scope="module")
def keys(live: LiveServer) -> list[str]:
    return [admin_key(live.database_url, f"client-{n}")[1] for n in range(12)]


def idle_in_transaction(live: LiveServer) -> list[str]:
    """What the server's connections left idle inside a transaction last ran."""

    async def find() -> list[str]:
        conn = await asyncpg.connect(dsn(live.database_url))
        try:
            sql = (
                "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'oia-registry' "
                "AND state LIKE 'idle in transaction%'"
            )
            return [row[0] for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(find())


def timed_get(live: LiveServer, path: str, **kwargs: object) -> tuple[int, float]:
    started = time.monotonic()
    answer = httpx.get(f"{live.base_url}{path}", timeout=10, **kwargs)  # type: ignore[arg-type]
    return answer.status_code, time.monotonic() - started


def assert_others_served(live: LiveServer) -> None:
    """/health/ready and a list page answer 200 within 3 s."""
    for path, headers in (("/health/ready", {}), ("/api/v1/activities?limit=50", bearer(live.key))):
        status, took = timed_get(live, path, headers=headers)
        assert status == 200 and took < 3, (path, status, took)


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def test_twelve_stalled_exports_leave_the_pool_to_everyone_else(live: LiveServer, keys: list[str]) -> None:
    socks = [stalled(live.base_url, head("GET", EXPORT, bearer(key))) for key in keys]
    try:
        time.sleep(1.5)  # the admitted ones have filled every buffer on the way and stopped
        for _ in range(3):
            assert_others_served(live)
        assert len(idle_in_transaction(live)) <= 3  # BULK_MAX_CONCURRENT, of a 10-connection pool
        time.sleep(float(LIMITS["WRITE_TIMEOUT_SECONDS"]) + 1.5)
        assert idle_in_transaction(live) == []  # given up on: transactions ended, connections back
        statuses = sorted(read_answer(sock, timeout=5).status for sock in socks)
        assert statuses == [200] * 3 + [429] * 9
    finally:
        for sock in socks:
            sock.close()
    again = httpx.get(f"{live.base_url}{EXPORT}", headers=bearer(live.key), timeout=60)
    assert again.status_code == 200 and again.text.count("\r\n") == ROWS + 1  # slots were given back


def test_one_key_may_run_only_two_exports(live: LiveServer, keys: list[str]) -> None:
    socks = [stalled(live.base_url, head("GET", EXPORT, bearer(keys[0]))) for _ in range(3)]
    try:
        time.sleep(1)
        assert_others_served(live)
    finally:
        answers = [read_answer(sock, timeout=8) for sock in socks]
        for sock in socks:
            sock.close()
    refused = [a for a in answers if a.status == 429]
    assert len(refused) == 1 and b"already has 2" in refused[0].body and refused[0].headers["retry-after"]
    time.sleep(float(LIMITS["WRITE_TIMEOUT_SECONDS"]) + 1)


def test_ten_stalled_import_bodies_are_timed_out(live: LiveServer, keys: list[str]) -> None:
    """Each sends a CSV header and 20 rows (past the first COPY chunk, so its transaction is open),
    then nothing."""
    rows = "".join(f"STALL-{k}-{n},Stalled {n},other,active,CBP,MX\r\n" for k in range(1) for n in range(20))
    first = f"identifier,title,activity_type,status,lead_component,countries\r\n{rows}".encode()
    body = f"{len(first):x}\r\n".encode() + first + b"\r\n"
    headers = {"Content-Type": "text/csv", "Transfer-Encoding": "chunked"}
    socks = []
    for n, key in enumerate(keys[:10]):
        sock = connect(live.base_url)
        unique = body.replace(b"STALL-0-", f"STALL-{n}-".encode())
        sock.sendall(head("POST", "/api/v1/activities/import", {**headers, **bearer(key)}) + unique)
        socks.append(sock)
    try:
        time.sleep(1)
        assert_others_served(live)
        answers = [read_answer(sock, timeout=8) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert sorted(a.status for a in answers) == [408] * 3 + [429] * 7
    assert idle_in_transaction(live) == []
    listed = httpx.get(
        f"{live.base_url}/api/v1/activities?limit=1&sort=identifier", headers=bearer(live.key)
    ).json()
    assert not listed["items"][0]["identifier"].startswith("STALL")  # nothing was imported


@pytest.mark.parametrize(
    ("path", "key", "status"),
    [
        ("/api/v1/activities/import", None, 401),
        ("/api/v1/activities/import", "oia_not-a-key", 401),
        ("/api/v1/activities", None, 401),
        ("/nothing/import", None, 404),
        ("/api/v1/nothing/import", "live", 404),
    ],
)
def test_a_strangers_upload_is_refused_before_10_mb_arrive(
    live: LiveServer, path: str, key: str | None, status: int
) -> None:
    before = rss_kb(live.pid)
    for _ in range(2):
        headers = {"Content-Type": "text/csv", "Transfer-Encoding": "chunked"}
        if key:
            headers.update(bearer(live.key if key == "live" else key))
        sent, answer = upload_until_answered(live.base_url, head("POST", path, headers), 200 * 1024 * 1024)
        assert answer is not None and answer.status == status, (sent, answer)
        assert sent < 10 * 1024 * 1024, sent
        assert answer.headers.get("connection") == "close"
    assert rss_kb(live.pid) - before < 20 * 1024


def test_idle_and_half_sent_connections_are_closed(live: LiveServer) -> None:
    deadline = float(LIMITS["HEADER_TIMEOUT_SECONDS"])
    started = time.monotonic()
    silent = connect(live.base_url)
    half_head = connect(live.base_url)
    half_head.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    dribble = connect(live.base_url)  # a slow-loris: one header byte every 0.3 s
    dribble.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    try:
        while time.monotonic() - started < deadline + 3:
            dribble.sendall(b"a")
            time.sleep(0.3)
    except OSError:
        pass
    assert time.monotonic() - started < deadline + 1.5  # the dribbler was cut off at the deadline
    for sock in (silent, half_head, dribble):
        shut, sent = closed_within(sock, 2)
        assert shut and sent.startswith(b"HTTP/1.1 408"), sent
    body_left = connect(live.base_url)
    length = {"Content-Length": "1000", "Content-Type": "application/json", **bearer(live.key)}
    body_left.sendall(head("POST", "/api/v1/activities", length) + b'{"title": ')
    answer = read_answer(body_left, timeout=float(LIMITS["BODY_READ_TIMEOUT_SECONDS"]) + 3)
    assert answer.status == 408 and b"request-timeout" in answer.body
    kept = connect(live.base_url)
    kept.sendall(head("GET", "/health/live"))
    assert read_answer(kept).status == 200
    assert closed_within(kept, float(LIMITS["KEEP_ALIVE_SECONDS"]) + 1.5)[0]  # idle keep-alive
    for sock in (silent, half_head, dribble, body_left, kept):
        sock.close()
