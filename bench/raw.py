"""The raw database reference: the API's SQL through asyncpg in a tight loop, no HTTP, no framework.

Two processes (one per core) with 8 connections each, the same 16 requests in flight as the HTTP
scenarios; each connection runs its query (a prepared statement, as asyncpg caches them) back to
back for the given seconds. This is the physical limit of this machine for that query.

    uv run python -m bench.raw --scale small [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any
from uuid import UUID

import asyncpg

from bench.client import LoopResult
from bench.common import database_name, dsn
from bench.cpu import cpu_seconds

# Every column the API returns (the stored `search` document is not part of a record).
COLUMNS = (
    "id, identifier, title, description, activity_type, status, lead_component, participating_components, "
    "countries, post_ids, foreign_partners, strategic_goal_codes, start_date, end_date, estimated_cost, "
    "currency, fiscal_year, sensitivity, tags, version, created_at, updated_at, created_by, updated_by, "
    "archived_at"
)
PAGE = f"SELECT {COLUMNS} FROM activities WHERE archived_at IS NULL ORDER BY id LIMIT 51"
QUERIES: dict[str, tuple[str, str]] = {
    # name: (SQL, how its argument is chosen)
    "raw_by_id": (f"SELECT {COLUMNS} FROM activities WHERE id = $1", "id"),
    "raw_page": (PAGE, "none"),
    "raw_page_filtered": (
        f"SELECT {COLUMNS} FROM activities WHERE countries && ARRAY['MX']::varchar[] AND status = 'active' "
        "AND archived_at IS NULL ORDER BY id LIMIT 51",
        "none",
    ),
    "raw_page_json": (f"SELECT json_agg(t)::text FROM ({PAGE}) t", "none"),
}


async def _worker(
    url: str, sql: str, arg: str, ids: list[str], conns: int, seconds: float, warmup: float
) -> dict[str, Any]:
    pool = [await asyncpg.connect(url) for _ in range(conns)]
    result = LoopResult()
    start = time.perf_counter()
    measure_from, stop = start + warmup, start + warmup + seconds

    async def loop(conn: asyncpg.Connection) -> None:
        statement = await conn.prepare(sql)
        rng = random.Random()
        while (now := time.perf_counter()) < stop:
            args = [rng.choice(ids)] if arg == "id" else []
            await statement.fetch(*args)
            if now >= measure_from:
                result.latencies_us.append(int((time.perf_counter() - now) * 1e6))

    backends = [await c.fetchval("SELECT pg_backend_pid()") for c in pool]
    marks: list[float] = []

    async def mark_start() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        marks.append(sum(cpu_seconds(p) for p in backends))

    try:
        await asyncio.gather(mark_start(), *(loop(c) for c in pool))
        db_cpu = sum(cpu_seconds(p) for p in backends) - marks[0]
    finally:
        for conn in pool:
            await conn.close()
    result.duration_s = time.perf_counter() - measure_from
    return {"latencies": result.latencies_us, "duration_s": result.duration_s, "db_cpu_s": db_cpu}


def _process(
    url: str, name: str, ids: list[str], conns: int, seconds: float, warmup: float
) -> dict[str, Any]:
    import uvloop

    sql, arg = QUERIES[name]
    return uvloop.run(_worker(url, sql, arg, ids, conns, seconds, warmup))


def run_raw(
    url: str,
    name: str,
    ids: list[str],
    seconds: float,
    warmup: float,
    processes: int = 2,
    conns: int = 8,
) -> dict[str, Any]:
    """One raw scenario across `processes` processes; the summary has the wrk script's shape."""
    uuids = [UUID(i) for i in ids]
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_process, url, name, uuids, conns, seconds, warmup) for _ in range(processes)]
        parts = [f.result() for f in futures]
    merged = LoopResult(duration_s=max(p["duration_s"] for p in parts))
    for part in parts:
        merged.latencies_us += part["latencies"]
    # PostgreSQL's CPU in the measured phase, read by each client process from /proc (same machine).
    return {**merged.summary(), "db_cpu_s": sum(p["db_cpu_s"] for p in parts)}


def plan_nodes(node: dict[str, Any]) -> list[str]:
    """Every node of a JSON plan, depth first: `Index Scan on activities using pk_activities`."""
    label = node["Node Type"]
    if "Relation Name" in node:
        label += f" on {node['Relation Name']}"
    if "Index Name" in node:
        label += f" using {node['Index Name']}"
    return [label, *(n for child in node.get("Plans", []) for n in plan_nodes(child))]


async def plans(url: str, some_id: str) -> dict[str, dict[str, Any]]:
    """EXPLAIN (ANALYZE) of each list-shaped query: its plan nodes and whether it scans activities whole."""
    deep = f"SELECT {COLUMNS} FROM activities WHERE archived_at IS NULL AND id > $1 ORDER BY id LIMIT 51"
    queries = {name: sql for name, (sql, arg) in QUERIES.items() if arg == "none"} | {"raw_page_deep": deep}
    conn = await asyncpg.connect(url)
    found: dict[str, dict[str, Any]] = {}
    try:
        for name, sql in queries.items():
            args = [UUID(some_id)] if "$1" in sql else []
            plan = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args))[0]
            nodes = plan_nodes(plan["Plan"])
            found[name] = {
                "ms": round(plan["Execution Time"], 2),
                "seq_scan_activities": any(n.startswith("Seq Scan on activities") for n in nodes),
                "nodes": nodes,
            }
    finally:
        await conn.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    url = dsn(database_name(args.scale))

    async def sample() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            return [
                str(r[0]) for r in await conn.fetch("SELECT id FROM activities ORDER BY random() LIMIT 10000")
            ]
        finally:
            await conn.close()

    ids = asyncio.run(sample())
    print(json.dumps(asyncio.run(plans(url, ids[0])), indent=1))
    for name in QUERIES:
        summary = run_raw(url, name, ids, args.seconds, 1.0)
        rate = summary["requests"] / (summary["duration_us"] / 1e6)
        print(json.dumps({"scenario": name, "ops_per_s": round(rate), **summary}))


if __name__ == "__main__":
    main()
