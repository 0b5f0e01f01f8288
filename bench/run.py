"""The benchmark driver: the service as production runs it, an idiomatic ORM app and raw asyncpg on
the same data, every scenario as req/s, p50, p99, errors and CPU per request, and ratios to the
reference points.

    uv run python -m bench.run --scale small [--seconds 10 --warmup 5] [--quick] [--profile]

Needs a database made by `python -m bench.load --scale <scale>`. Writes bench/results/latest-<scale>.*.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import overload, report, scenarios
from bench.common import RESULTS, create_admin_key, database_name, dsn, machine
from bench.cpu import CpuMeter, backends, settle
from bench.drive import Around, Load
from bench.raw import plans
from bench.replica import replica
from bench.servers import Server

PHASES = ("reads", "views", "writes", "bulk", "orm", "raw", "overload", "replica")


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.only = set(args.only.split(",")) & set(PHASES)
        self.database = database_name(args.scale)
        self.url = dsn(self.database)
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.work = RESULTS / f"work-{args.scale}"
        self.work.mkdir(parents=True, exist_ok=True)
        self.load = Load(args.seconds, args.warmup, args.connections)
        self.one = Load(args.seconds, min(args.warmup, 2), 1, 1)
        self.rows: dict[str, dict[str, Any]] = {}
        self.bulk: dict[str, Any] = {}
        self.rss_after: dict[str, float] = {}
        self.profiles: dict[str, Any] = {}
        self.plans: dict[str, Any] = {}
        self.openapi: dict[str, Any] = {}
        self.overload: dict[str, Any] = {}
        self.replica: dict[str, Any] = {}

    def file(self, name: str, lines: list[str]) -> Path:
        path = self.work / name
        path.write_text("\n".join(lines) + "\n")
        return path

    @contextlib.contextmanager
    def cpu(self, server: Server | None, box: dict[str, float]) -> Iterator[None]:
        """CPU seconds of the server's workers and of PostgreSQL during the measured phase."""
        workers = server.workers if server else []
        before = asyncio.run(backends(self.url, self.database))
        meter = CpuMeter(workers, before)
        yield
        after = asyncio.run(backends(self.url, self.database))
        box["app"], box["db"] = meter.delta(workers, sorted(set(before) | set(after)))

    def measure(
        self,
        name: str,
        scenario: Callable[[Around], dict[str, Any]],
        server: Server | None,
        note: str = "",
        connections: int | None = None,
    ) -> None:
        """Run one scenario, keep its row and print it (with the CPU its measured phase cost)."""
        box: dict[str, float] = {}
        summary = scenario(lambda: self.cpu(server, box))
        cancelled = asyncio.run(settle(self.url, self.database))
        if cancelled:
            late = f"{cancelled} statements still running 30 s after the load were cancelled"
            note = f"{note}; {late}" if note else late
        if "db_cpu_s" in summary:  # measured by the raw client itself
            box["db"] = summary["db_cpu_s"]
        seconds = summary["duration_us"] / 1e6 or 1.0
        served = max(summary["requests"], 1)
        r = self.rows[name] = {
            "rps": round(summary["requests"] / seconds, 1),
            "p50_ms": round(summary["p50_us"] / 1000, 2),
            "p99_ms": round(summary["p99_us"] / 1000, 2),
            "errors": summary["status_errors"] + summary["socket_errors"],
            "requests": summary["requests"],
            "connections": connections or self.load.connections,
            "app_cpu_ms": round(box.get("app", 0) * 1000 / served, 3) if server else None,
            "db_cpu_ms": round(box.get("db", 0) * 1000 / served, 3),
            "driver": summary.get("driver", "asyncpg"),
            "note": note,
        }
        print(
            f"  {name:<18} {r['rps']:>8,.0f} req/s  p50 {r['p50_ms']:>8.2f} ms  p99 {r['p99_ms']:>8.2f} ms"
            f"  errors {r['errors']}  cpu app {r['app_cpu_ms']} db {r['db_cpu_ms']} ms/req  {note}",
            flush=True,
        )

    def skip(self, name: str, note: str) -> None:
        self.rows[name] = {"skipped": True, "note": note}
        print(f"  {name:<18} skipped: {note}", flush=True)

    async def prepare(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            live = "SELECT id FROM activities WHERE archived_at IS NULL ORDER BY random() LIMIT 10000"
            self.ids = [str(r[0]) for r in await conn.fetch(live)]
            self.posts: dict[str, list[str]] = {}
            for r in await conn.fetch("SELECT id::text, country FROM posts WHERE archived_at IS NULL"):
                self.posts.setdefault(r[1], []).append(r[0])
            counts = [f"SELECT '{t}', count(*) FROM {t}" for t in ("activities", "postings", "posts")]
            self.counts = dict(await conn.fetch(" UNION ALL ".join(counts)))
        finally:
            await conn.close()
        self.key_id, self.key = await create_admin_key(self.url, f"bench-{self.run_id}")

    def result(self) -> dict[str, Any]:
        report.add_ratios(self.rows)
        service_rss = {k: v for k, v in self.rss_after.items() if k.startswith("service")}
        settings = {k: getattr(self.args, k) for k in ("seconds", "warmup", "connections", "bulk_rows")}
        return {
            "run_id": self.run_id,
            "partial": sorted(self.only) if self.only != set(PHASES) else None,
            "scale": self.args.scale,
            "counts": self.counts,
            "machine": machine(),
            "load_average_after": Path("/proc/loadavg").read_text().split()[:3],
            "settings": settings,
            "scenarios": self.rows,
            "bulk": self.bulk,
            "rss_after_mb": self.rss_after,
            "targets": report.targets(self.rows, self.bulk, service_rss, self.plans),
            "plans": self.plans,
            "profiles": self.profiles,
            "overload": self.overload,
            "replica": self.replica,
        }


def wait_for_quiet(limit: float) -> None:
    """The benchmark saturates both cores: give a running test suite a chance to finish first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = subprocess.run(["pgrep", "-f", "pytest"], capture_output=True, text=True).stdout.split()
        if not busy:
            return
        print(f"waiting for a running pytest ({len(busy)} processes) to finish...", flush=True)
        time.sleep(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bulk-rows", type=int, default=100_000, help="rows imported then exported; 0 skips")
    parser.add_argument("--deep-page", type=int, default=1_000)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--orm-port", type=int, default=18081)
    parser.add_argument("--profile", action="store_true", help="py-spy the GET by id and list scenarios")
    parser.add_argument("--quick", action="store_true", help="CI smoke: 1 s per scenario, 2,000 bulk rows")
    parser.add_argument("--wait-idle", type=float, default=300, help="max seconds to wait for pytest to end")
    parser.add_argument(
        "--only", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.bulk_rows, args.deep_page = 1, 0.5, min(args.bulk_rows, 2_000), 20
    wait_for_quiet(args.wait_idle)
    run = Run(args)
    asyncio.run(run.prepare())
    if run.only & {"reads", "views", "writes", "bulk"}:
        scenarios.service(run)
    if "orm" in run.only and "orm_by_id" not in run.rows:  # else measured right after the reads
        scenarios.orm(run)
    if "raw" in run.only:
        scenarios.raw(run)
        run.plans = asyncio.run(plans(run.url, run.ids[0]))
    if "overload" in run.only:
        run.overload = overload.run(run, seconds=5 if args.quick else 15)
    if "replica" in run.only:
        run.replica = replica(run)
    result = run.result()
    print("\n" + report.write(result))
    print(f"results: bench/results/{args.scale}-{run.run_id}.json and .md")


if __name__ == "__main__":
    main()
