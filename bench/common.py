"""What the loader and the driver share: where the database is, scales, keys, processes and their RSS."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

SCALES: dict[str, dict[str, int]] = {
    "tiny": {"posts": 100, "activities": 2_000, "postings": 200, "recommendations": 50, "trips": 200},
    "small": {"posts": 200, "activities": 20_000, "postings": 2_000, "recommendations": 500, "trips": 2_000},
    "large": {
        "posts": 1_000,
        "activities": 1_000_000,
        "postings": 100_000,
        "recommendations": 5_000,
        "trips": 100_000,
    },
}


def server_url() -> str:
    """The PostgreSQL server to create the benchmark database on (BENCH_SERVER, else the tests' one)."""
    url = os.environ.get("BENCH_SERVER") or os.environ.get("TEST_DATABASE_URL")
    return url or "postgresql://postgres@127.0.0.1:5432/postgres"


def dsn(database: str | None = None) -> str:
    """A plain postgresql:// DSN (asyncpg's form) for `database` on the benchmark server."""
    url = make_url(server_url()).set(drivername="postgresql")
    if database:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def database_name(scale: str) -> str:
    """`oia_bench_<scale>`, or BENCH_DATABASE: two benchmarks on one server need their own databases."""
    return os.environ.get("BENCH_DATABASE") or f"oia_bench_{scale}"


def migrate(url: str) -> None:
    """Build the schema the way every other database is built: alembic upgrade head."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def create_admin_key(url: str, name: str) -> tuple[Any, str]:
    """A fresh admin key in the benchmark database (service.ops.keys.create_key): (key id, key)."""
    from service.config import Settings
    from service.db import make_engine, make_sessionmaker, normalize_url
    from service.ops.keys import create_key
    from service.schemas.vocab import Role

    engine = make_engine(normalize_url(url), Settings(database_url=url))
    try:
        async with make_sessionmaker(engine)() as session:
            key_id, key = await create_key(session, name=name, role=Role.admin, component=None)
            await session.commit()
            return key_id, key
    finally:
        await engine.dispose()


def children(pid: int) -> list[int]:
    """Direct children of a process (uvicorn's workers are the master's children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def workers(master: int) -> list[int]:
    """uvicorn worker processes under a master (multiprocessing spawn children, not its resource tracker)."""
    return [p for p in children(master) if "resource_tracker" not in cmdline(p)]


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    pg = subprocess.run(
        ["psql", dsn(), "-Atc", "show server_version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run([*git, "status", "--porcelain", "service"], capture_output=True, text=True).stdout
    return {
        "commit": commit.strip() + (" + uncommitted changes in service/" if dirty.strip() else ""),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "postgresql": pg or "unknown",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
