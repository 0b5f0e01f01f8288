"""A real server for tests that must talk HTTP over a socket: `oia serve` in a subprocess, on a free
port, against its own freshly migrated database (committed for real, dropped afterwards), with an
admin key made the way operators make one.

Its own database, not the session's `database_url`: what the server commits (smoke records,
generated-client calls) must not show up in the rollback-per-test suite's counts and feeds.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from service.db import make_sessionmaker
from service.ops.keys import create_key
from service.schemas.vocab import Role
from tests.support.database import ROOT, fresh_database


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    key: str
    key_id: str
    database_url: str
    log: Path  # the server's stdout and stderr (JSON access log included)
    pid: int = 0  # the server process (one worker: uvicorn serves in it)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin_key(url: str, name: str = "live-admin") -> tuple[str, str]:
    """(key id, key) of a new admin key, committed so the server sees it."""

    async def make() -> tuple[str, str]:
        engine = create_async_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                key_id, key = await create_key(session, name=name, role=Role.admin, component=None)
                await session.commit()
                return str(key_id), key
        finally:
            await engine.dispose()

    return asyncio.run(make())


def oia_command() -> list[str]:
    """The installed `oia` script beside this interpreter (what operators run)."""
    script = Path(sys.executable).with_name("oia")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from service.cli import app; app()"]


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {seconds:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def live_server(tmp_dir: Path, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """`oia serve` on a free port over a fresh database, with an admin key; stopped on exit. `env`
    adds settings (e.g. {"WRITE_TIMEOUT_SECONDS": "3"})."""
    with fresh_database("oia_live") as url:
        key_id, key = admin_key(url)
        port = free_port()
        log = tmp_dir / f"server-{port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "AUTH_CACHE_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [*oia_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base_url, process, log)
            yield LiveServer(base_url, key, key_id, url, log, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
