"""Throw-away PostgreSQL 15 clusters for replication tests: a primary, streaming standbys, promotion.

Each node is a real postmaster run by the `postgres` OS user (initdb refuses root) from a temporary
directory, listening on 127.0.0.1 only, on a free port, with trust authentication. A `Workspace`
owns every node it made and, when closed, stops them all (immediate mode) and deletes the files;
the fixtures close theirs however the test ends, and an atexit hook catches what a crash left.

Settings favour speed and a small footprint (2 shared cores): fsync=off everywhere. That is safe
even for the promotion test's durability assertion, because no test simulates an OS crash: an
immediate stop or SIGKILL of a postmaster leaves every written WAL byte in the page cache, and what
that test asserts is synchronous replication (with synchronous_commit=on a COMMIT returns only once
the standby has written and "flushed" the record, which with fsync=off means handed to the OS).
synchronous_commit itself is never turned off: that would acknowledge commits before they left
the primary and make the durability assertion meaningless.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_OS_USER = "postgres"

_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 40
shared_buffers = 16MB
max_worker_processes = 4
max_parallel_workers = 0
max_parallel_workers_per_gather = 0
jit = off
fsync = off
wal_level = replica
max_wal_senders = 8
max_replication_slots = 8
wal_keep_size = 64MB
max_wal_size = 256MB
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 500ms
autovacuum_naptime = 60s
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
"""

_HBA = """
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""

# Data dirs of nodes still running, so an interpreter exit after a crash does not leave postmasters.
_LIVE: set[Path] = set()


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick; another process could still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", PG_OS_USER, "--", *args] if os.geteuid() == 0 else args


async def run_pg(*args: str, within: float = 120) -> str:
    """Run a PostgreSQL binary as the postgres user without blocking the event loop (tests keep
    write loops running while a node is stopped or promoted); raise with its output on failure."""
    cmd = _as_postgres([str(PG_BIN / args[0]), *args[1:]])
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), within)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{text}")
    return text


class Node:
    """One postmaster: its data directory, port and log."""

    def __init__(self, name: str, data_dir: Path, port: int) -> None:
        self.name = name
        self.data_dir = data_dir
        self.port = port
        self.log_file = data_dir.parent / f"{name}.log"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    async def start(self) -> None:
        # The port goes on the command line, not in postgresql.conf, because a standby's conf is a
        # copy of the primary's.
        await run_pg(
            "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
            "-o", f"-p {self.port} -c cluster_name={self.name}",
        )  # fmt: skip
        _LIVE.add(self.data_dir)

    async def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` (clean shutdown) or `immediate` (like a crash: no checkpoint)."""
        if self.running:
            await run_pg("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60")
        _LIVE.discard(self.data_dir)

    async def kill(self) -> None:
        """Lose the server abruptly (immediate mode, which is SIGQUIT to every process: it does not
        orphan backends the way SIGKILL of the postmaster alone would)."""
        await self.stop("immediate")

    async def connect(self, database: str = "postgres", **kwargs: Any) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn(database), timeout=10, **kwargs)

    async def fetchval(self, sql: str, *args: Any, database: str = "postgres") -> Any:
        conn = await self.connect(database)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def execute(self, sql: str, *args: Any, database: str = "postgres") -> None:
        conn = await self.connect(database)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server log, for assertion messages."""
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


class Primary(Node):
    """A read-write node that streams WAL to standbys."""

    async def flush_lsn(self) -> str:
        return str(await self.fetchval("SELECT pg_current_wal_flush_lsn()::text"))

    async def enable_sync(self, *standbys: Standby) -> None:
        """Make every commit wait for the first listed standby's flush, and wait until it is sync."""
        names = ", ".join(f'"{s.name}"' for s in standbys)
        await self.execute(f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({names})'")
        await self.execute("SELECT pg_reload_conf()")
        await _poll(
            lambda: self.fetchval("SELECT count(*) > 0 FROM pg_stat_replication WHERE sync_state = 'sync'"),
            f"a synchronous standby on {self.name}",
        )

    async def disable_sync(self) -> None:
        await self.execute("ALTER SYSTEM RESET synchronous_standby_names")
        await self.execute("SELECT pg_reload_conf()")

    async def create_database(self, name: str, *standbys: Standby) -> None:
        """CREATE DATABASE here, then wait until each standby has replayed it and accepts connections."""
        await self.execute(f'CREATE DATABASE "{name}"')
        lsn = await self.flush_lsn()
        for standby in standbys:
            await standby.wait_replayed(lsn)


class Standby(Node):
    """A hot standby streaming from a primary through its own replication slot."""

    async def replay_lsn(self) -> str:
        return str(await self.fetchval("SELECT pg_last_wal_replay_lsn()::text"))

    async def wait_replayed(self, lsn: str, within: float = 30) -> None:
        await _poll(
            lambda: self.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", lsn),
            f"{self.name} to replay {lsn}",
            within,
        )

    async def pause_replay(self) -> None:
        await self.execute("SELECT pg_wal_replay_pause()")

    async def resume_replay(self) -> None:
        await self.execute("SELECT pg_wal_replay_resume()")

    async def promote(self) -> None:
        """Make this standby a primary (pg_ctl waits until it accepts writes)."""
        await run_pg("pg_ctl", "promote", "-D", str(self.data_dir), "-w", "-t", "60")


class Workspace:
    """A temporary directory owning every node made in it; `aclose` removes processes and files."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="oia-pg-"))
        shutil.chown(self.root, PG_OS_USER, PG_OS_USER)
        self.nodes: list[Node] = []

    def _data_dir(self, name: str) -> Path:
        return self.root / name

    async def primary(self, name: str = "primary") -> Primary:
        data_dir = self._data_dir(name)
        await run_pg(
            "initdb", "-D", str(data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.write(_CONF)
        (data_dir / "pg_hba.conf").write_text(_HBA)
        node = Primary(name, data_dir, free_port())
        self.nodes.append(node)
        await node.start()
        return node

    async def standby(self, primary: Primary, name: str = "standby") -> Standby:
        """Clone `primary` with pg_basebackup -R (which writes primary_conninfo, including the
        application_name that synchronous_standby_names matches, and standby.signal)."""
        data_dir = self._data_dir(name)
        conninfo = f"host=127.0.0.1 port={primary.port} user=postgres application_name={name}"
        await run_pg(
            "pg_basebackup", "-D", str(data_dir), "-d", conninfo, "-R", "-C", "-S", name,
            "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        # A copied synchronous_standby_names would make this node wait for itself once promoted.
        with (data_dir / "postgresql.auto.conf").open("a") as auto:
            auto.write("synchronous_standby_names = ''\n")
        node = Standby(name, data_dir, free_port())
        self.nodes.append(node)
        await node.start()
        await _poll(
            lambda: primary.fetchval(
                "SELECT count(*) > 0 FROM pg_stat_replication WHERE application_name = $1"
                " AND state = 'streaming'",
                name,
            ),
            f"{name} streaming from {primary.name}",
        )
        return node

    async def aclose(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                await node.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


async def _poll(check: Any, what: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if await check():
                return
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            last = exc  # the node may still be starting
        await asyncio.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}" + (f" (last error: {last!r})" if last else ""))


@atexit.register
def _stop_leftovers() -> None:
    for data_dir in list(_LIVE):
        if (data_dir / "postmaster.pid").exists():
            cmd = _as_postgres([str(PG_BIN / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "immediate"])
            subprocess.run(cmd, capture_output=True, check=False, timeout=60)
        shutil.rmtree(data_dir.parent, ignore_errors=True)


@contextlib.asynccontextmanager
async def workspace() -> AsyncIterator[Workspace]:
    """A workspace that is cleaned up however the block ends."""
    ws = Workspace()
    try:
        yield ws
    finally:
        await ws.aclose()


@pytest.fixture(scope="module")
async def pg_pair() -> AsyncIterator[tuple[Primary, Standby]]:
    """A primary and one streaming hot standby, shared by a module's tests (restore what you change)."""
    async with workspace() as ws:
        primary = await ws.primary()
        yield primary, await ws.standby(primary)


@pytest.fixture
async def pg_workspace() -> AsyncIterator[Workspace]:
    """An empty workspace for one test that builds (and may destroy) its own nodes."""
    async with workspace() as ws:
        yield ws
