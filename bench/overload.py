"""A short, bounded overload test (issue 19): one key misbehaves while ordinary requests are timed.

The service runs as production runs it (`oia serve`, 2 workers, default limits) on loopback. For
`seconds` the bad key keeps up: exports it never reads (a tiny receive window), import bodies that
stop after a few rows, common-word searches 30 at a time, and unauthenticated chunked uploads. Meanwhile
8 ordinary connections (another key) loop over GET by id, a list page, a filtered list and
/health/ready. Reported: what share of the ordinary requests answered 2xx in under 1 s (p50, p99,
errors), and what the bad key got back (429s, 408s...).

    uv run python -m bench.run --scale small --only overload
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sys
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx

from bench.common import ROOT, create_admin_key

if TYPE_CHECKING:
    from bench.run import Run

WORDS = ["border", "cargo", "customs", "security", "training", "liaison"]


def _serve(port: int, url: str) -> Any:
    import subprocess

    log = open(ROOT / "bench" / "results" / "overload-service.log", "wb")  # noqa: SIM115 - the child keeps it
    command = [sys.executable, "-c", "from service.cli import app; app()", "serve", "--workers", "2"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "DATABASE_URL": url}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("the overload server did not become ready; see bench/results/overload-service.log")


class BadKey:
    """The misbehaving client: threads that each repeat one kind of abuse until told to stop."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.stop = threading.Event()
        self.answers: Counter[str] = Counter()
        self.lock = threading.Lock()

    def note(self, what: str) -> None:
        with self.lock:
            self.answers[what] += 1

    def _socket(self, rcvbuf: int | None = None) -> socket.socket:
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def _status(self, sock: socket.socket) -> str:
        try:
            head = sock.recv(64)
            return head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "closed"
        except OSError:
            return "closed"

    def stalled_export(self) -> None:
        while not self.stop.is_set():
            sock = self._socket(rcvbuf=4096)
            request = "GET /api/v1/activities/export?format=csv HTTP/1.1\r\nHost: x\r\n"
            sock.sendall(f"{request}Authorization: Bearer {self.key}\r\n\r\n".encode())
            self.stop.wait(1.0)
            self.note(f"export {self._status(sock)}")
            while not self.stop.is_set() and not _closed(sock):
                self.stop.wait(0.5)  # hold it open, unread, until the server gives up
            sock.close()

    def stalled_import(self) -> None:
        rows = "".join(f"OVERLOAD-{random.random()},Stalled,other,active,CBP,MX\r\n" for _ in range(30))
        chunk = f"identifier,title,activity_type,status,lead_component,countries\r\n{rows}".encode()
        while not self.stop.is_set():
            sock = self._socket()
            head = (
                "POST /api/v1/activities/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                f"Transfer-Encoding: chunked\r\nAuthorization: Bearer {self.key}\r\n\r\n"
            )
            sock.sendall(head.encode() + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.settimeout(40)
            self.note(f"import {self._status(sock)}")
            sock.close()

    def stranger_upload(self) -> None:
        while not self.stop.is_set():
            sock = self._socket()
            head = b"POST /api/v1/activities/import HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            try:
                sock.sendall(head)
                for _ in range(160):  # up to 10 MB, unless refused first
                    sock.sendall(b"10000\r\n" + b"x" * 65536 + b"\r\n")
            except OSError:
                pass
            self.note(f"upload {self._status(sock)}")
            sock.close()

    def searches(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30) as client:
            while not self.stop.is_set():
                q = " ".join(random.sample(WORDS, 2))
                try:
                    status = client.get(
                        "/api/v1/activities",
                        params={"q": q, "limit": 200},
                        headers={"Authorization": f"Bearer {self.key}"},
                    ).status_code
                except httpx.HTTPError:
                    status = "error"
                self.note(f"search {status}")

    def start(self) -> list[threading.Thread]:
        plan = [
            (self.stalled_export, 12),
            (self.stalled_import, 4),
            (self.stranger_upload, 2),
            (self.searches, 30),
        ]
        threads = [threading.Thread(target=f, daemon=True) for f, n in plan for _ in range(n)]
        for thread in threads:
            thread.start()
        return threads


def _closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


async def ordinary(port: int, key: str, ids: list[str], seconds: float) -> list[tuple[float, int]]:
    """8 connections looping over everyday requests: (seconds, status) per request."""
    paths = [f"/api/v1/activities/{i}" for i in ids[:200]]
    paths += ["/api/v1/activities?limit=50", "/api/v1/activities?limit=50&country=MX&status=active"]
    paths += ["/health/ready"]
    results: list[tuple[float, int]] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10) as client:

        async def loop() -> None:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    status = (
                        await client.get(random.choice(paths), headers={"Authorization": f"Bearer {key}"})
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                results.append((time.monotonic() - started, status))

        await asyncio.gather(*(loop() for _ in range(8)))
    return results


def run(run: Run, seconds: float = 15.0) -> dict[str, Any]:
    """The overload test against a fresh `oia serve`; returns the summary for the report."""
    port = run.args.port + 2
    print(f"overload: oia serve, 2 workers; one key misbehaves for {seconds:.0f} s", flush=True)
    process = _serve(port, run.url)
    try:
        _, bad_key = asyncio.run(create_admin_key(run.url, f"overload-bad-{run.run_id}"))
        bad = BadKey(port, bad_key)
        threads = bad.start()
        time.sleep(2)  # the abuse is in full swing before the measurement starts
        timings = asyncio.run(ordinary(port, run.key, run.ids, seconds))
        bad.stop.set()
        for thread in threads:
            thread.join(timeout=45)
    finally:
        process.terminate()
        process.wait(timeout=30)
    latencies = sorted(t for t, _ in timings)
    fast_ok = sum(1 for t, s in timings if s // 100 == 2 and t < 1.0)
    summary = {
        "seconds": seconds,
        "ordinary_requests": len(timings),
        "share_2xx_under_1s": round(fast_ok / max(len(timings), 1), 4),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
        "ordinary_statuses": dict(Counter(str(s) for _, s in timings)),
        "bad_key_got": dict(sorted(bad.answers.items())),
    }
    print(f"  overload             {summary}", flush=True)
    return summary
