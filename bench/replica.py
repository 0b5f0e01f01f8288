"""The read-replica phase: the service over a throw-away primary and one streaming hot standby
(tests/support/pg_cluster.py), the benchmark database copied onto it, GET by id and the first list
page measured twice on the same pair: all reads on the primary (the single-server run), then with
DATABASE_REPLICA_URLS naming the standby.

On this 2-core machine the primary, the standby, the two workers and the load generator share the
same cores: the phase measures what routing reads costs (the health loop, the choice per request,
a second pool), not what a standby on its own machine adds. Scale comes from more machines.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import TYPE_CHECKING, Any

from bench.drive import run_paths
from bench.servers import Server, start
from tests.support.pg_cluster import PG_BIN, Primary, Standby, Workspace

if TYPE_CHECKING:
    from bench.run import Run

API = "/api/v1/activities"


def copy_database(source: str, primary: Primary, database: str) -> None:
    """The benchmark database (and the cluster's roles, which its grants and policies name) onto `primary`."""
    target = primary.dsn("postgres")
    roles = subprocess.run(
        [str(PG_BIN / "pg_dumpall"), "--roles-only", "-d", source], check=True, capture_output=True, text=True
    ).stdout
    # "role postgres already exists" and the like are expected: the rest applies.
    subprocess.run([str(PG_BIN / "psql"), "-q", "-d", target], input=roles, capture_output=True, text=True)
    subprocess.run(
        [str(PG_BIN / "psql"), "-q", "-d", target, "-c", f'CREATE DATABASE "{database}"'], check=True
    )
    dump = subprocess.Popen([str(PG_BIN / "pg_dump"), "-Fc", "-d", source], stdout=subprocess.PIPE)
    subprocess.run([str(PG_BIN / "pg_restore"), "-d", primary.dsn(database)], stdin=dump.stdout, check=True)
    assert dump.wait() == 0
    # A restore leaves no statistics: without them the planner picks other plans than the source's.
    subprocess.run(
        [str(PG_BIN / "psql"), "-q", "-d", primary.dsn(database), "-c", "VACUUM ANALYZE"], check=True
    )


def measure_reads(run: Run, server: Server, prefix: str) -> None:
    port, key, load = server.port, run.key, run.load
    ids = run.file("replica_ids.txt", [f"{API}/{i}" for i in run.ids])
    first = run.file("replica_list1.txt", [f"{API}?limit=50"])
    run.measure(f"{prefix}_get_by_id", lambda a: run_paths(port, load, key, ids, a), server)
    run.measure(f"{prefix}_list_page1", lambda a: run_paths(port, load, key, first, a), server)


def replica(run: Run) -> dict[str, Any]:
    """Both runs on one pair; the ratios standby/single for GET by id and the list."""
    print(
        "replicas: throw-away primary + 1 streaming standby on this machine (overhead, not scale)", flush=True
    )
    ws = Workspace()
    main_url, main_db = run.url, run.database
    try:
        primary = asyncio.run(ws.primary())
        copy_database(run.url, primary, run.database)
        standby: Standby = asyncio.run(ws.standby(primary))
        # run.measure counts PostgreSQL CPU on run.url's server: the pair's primary during this phase.
        run.url = primary.dsn(run.database)
        for prefix, replicas in (("single", ""), ("standby", standby.dsn(run.database))):
            server = start(
                f"service-{prefix}", "service.main:create_app", run.args.port, run.url, "/health/ready",
                env={"DATABASE_REPLICA_URLS": replicas},
            )  # fmt: skip
            try:
                measure_reads(run, server, prefix)
            finally:
                server.stop()
        # Index scans of the benchmark's tables counted by the standby itself: its own reads.
        scans = "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_tables"
        served = asyncio.run(standby.fetchval(scans, database=run.database))
    finally:
        run.url, run.database = main_url, main_db
        asyncio.run(ws.aclose())
    result: dict[str, Any] = {"standby_index_scans": int(served)}
    for scenario in ("get_by_id", "list_page1"):
        single, routed = run.rows[f"single_{scenario}"], run.rows[f"standby_{scenario}"]
        result[scenario] = {
            "single_rps": single["rps"],
            "standby_rps": routed["rps"],
            "ratio": round(routed["rps"] / single["rps"], 3) if single["rps"] else None,
        }
    print(f"  replica/single: {result}", flush=True)
    return result
