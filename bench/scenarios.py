"""The scenarios of one benchmark run, server by server: the service, the ORM reference, raw asyncpg."""

from __future__ import annotations

import json
import random
import secrets
import time
import urllib.request
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from bench import bulk, gen, upsert
from bench.drive import dashboard_cookie, follow_cursor, run_page, run_patch, run_paths, run_post
from bench.raw import QUERIES, run_raw
from bench.servers import Server, start

if TYPE_CHECKING:
    from bench.run import Run

API = "/api/v1/activities"
SEARCHES = ["cargo", "border screening", "maritime", "customs liaison", '"coast guard"', "cyber -fraud"]
VIEWS = {  # scenario -> (route in /openapi.json, request); run one at a time when the route exists
    "footprint": ("/api/v1/footprint", "/api/v1/footprint"),
    "country_profile": ("/api/v1/countries/{code}", "/api/v1/countries/MX"),
    "overlaps": ("/api/v1/coordination/overlaps", "/api/v1/coordination/overlaps?country=MX"),
    "deadlines": ("/api/v1/deadlines", "/api/v1/deadlines?within_days=90"),
    # A small component (~2 % of rows): each branch filters its index walk longer for a page.
    "deadlines_filtered": ("/api/v1/deadlines", "/api/v1/deadlines?within_days=365&component=FEMA"),
}
DASHBOARD = {  # scenario -> page, signed in with the bench key (issue 15: each under 300 ms at small)
    "dashboard_overview": "/dashboard",
    "dashboard_country": "/dashboard/countries/MX",
    "dashboard_deadlines": "/dashboard/deadlines",
}


def service(run: Run) -> None:
    print("service: uvicorn service.main:create_app, 2 workers, uvloop + httptools", flush=True)
    # `oia serve` gives its workers one dashboard session secret; uvicorn started directly must be
    # given one, or a cookie signed by one worker is refused (a redirect to sign-in) by the other.
    env = {"DASHBOARD_SESSION_SECRET": secrets.token_urlsafe(32)}
    server = start("service", "service.main:create_app", run.args.port, run.url, "/health/ready", env=env)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/openapi.json") as answer:
            run.openapi = json.loads(answer.read())
        for phase, step in (("reads", reads), ("views", views), ("writes", writes)):
            if phase in run.only:
                step(run, server)
            if phase == "reads" and "orm" in run.only:
                # The ORM app right after the reads it is compared with: the same 20k rows (before
                # the writes and the import add ~100k) and the same minutes of a machine whose speed
                # drifts by 1.5x over a run. The service stays up, idle, meanwhile.
                orm(run)
        if run.args.profile and "reads" in run.only:
            from bench.profile import profile_scenario

            for name, paths in (("get_by_id", "ids.txt"), ("list_page1", "list1.txt")):
                out = run.work / f"profile-{name}.txt"
                run.profiles[name] = profile_scenario(server, run.load, run.key, run.work / paths, out)
        if run.args.bulk_rows and "bulk" in run.only:
            bulk_rows(run, server)
        run.rss_after.update({f"service[{pid}]": mb for pid, mb in server.rss().items()})
    finally:
        server.stop()


def reads(run: Run, server: Server) -> None:
    port, key, load = server.port, run.key, run.load

    def paths(name: str, lines: list[str]) -> object:
        return lambda around: run_paths(port, load, key, run.file(name, lines), around)

    run.measure("health_live", paths("health.txt", ["/health/live"]), server, "HTTP floor: no database")
    run.measure("get_by_id", paths("ids.txt", [f"{API}/{i}" for i in run.ids]), server)
    run.measure("list_page1", paths("list1.txt", [f"{API}?limit=50"]), server)
    page, deep = follow_cursor(port, key, f"{API}?limit=50", run.args.deep_page)
    note = f"page {page:,}" + ("" if page >= run.args.deep_page else " (the deepest this scale has)")
    run.measure("list_deep", paths("deep.txt", [deep]), server, note)
    filtered = [f"{API}?limit=50&country=MX&status=active"]
    run.measure("list_filtered", paths("filtered.txt", filtered), server, "country=MX&status=active")
    params = {p["name"] for p in run.openapi["paths"][API]["get"].get("parameters", [])}
    if "q" not in params:
        run.skip("search", f"no q parameter on GET {API}")
        return
    searches = [f"{API}?limit=50&q={quote_plus(q)}" for q in SEARCHES]
    run.measure("search", paths("search.txt", searches), server, "q= over 6 queries")


def views(run: Run, server: Server) -> None:
    for name, (route, path) in VIEWS.items():
        if route not in run.openapi["paths"]:
            run.skip(name, f"no route {route} yet")
            continue
        file = run.file(f"{name}.txt", [path])
        run.measure(
            name, lambda around, f=file: run_paths(server.port, run.one, run.key, f, around), server,
            "one request at a time", connections=1,
        )  # fmt: skip
    cookie = dashboard_cookie(server.port, run.key)
    for name, path in DASHBOARD.items():
        file = run.file(f"{name}.txt", [path])
        run.measure(
            name, lambda around, f=file: run_page(server.port, run.one, cookie, f, around), server,
            "HTML page, one request at a time", connections=1,
        )  # fmt: skip


def writes(run: Run, server: Server) -> None:
    body = gen.activity(random.Random(7), 0, run.posts)
    body["identifier"] = "__IDENTIFIER__"
    template = run.work / "post.json"
    template.write_text(json.dumps(body))
    port, key, load = server.port, run.key, run.load
    run.measure(
        "post_create", lambda a: run_post(port, load, key, template, run.run_id, a), server, "201 + audit row"
    )
    patch_ids = run.ids[-load.connections :]
    run.measure(
        "patch_if_match", lambda a: run_patch(port, load, key, patch_ids, a), server,
        "own record per connection; python driver",
    )  # fmt: skip


def bulk_rows(run: Run, server: Server) -> None:
    rows = run.args.bulk_rows
    print(f"  import/export of {rows:,} rows", flush=True)
    payload = bulk.ndjson(rows, run.posts, run.run_id)
    since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    run.bulk["import"] = bulk.import_rows(server, run.key, payload, rows)
    print(f"  import               {run.bulk['import']}", flush=True)
    run.bulk["upsert"] = upsert.upsert_rows(server, run.key, payload, rows)  # the same rows, 10 % changed
    print(f"  upsert               {run.bulk['upsert']}", flush=True)
    run.bulk["export"] = bulk.export_rows(server, run.key, since)
    print(f"  export               {run.bulk['export']}", flush=True)


def orm(run: Run) -> None:
    print("reference: idiomatic FastAPI + SQLAlchemy ORM app, 2 workers", flush=True)
    server = start("orm", "bench.orm_app:app", run.args.orm_port, run.url, "/health")
    port, load = server.port, run.load

    def paths(name: str, lines: list[str]) -> object:
        return lambda around: run_paths(port, load, "-", run.file(name, lines), around)

    try:
        run.measure("orm_by_id", paths("orm_ids.txt", [f"/activities/{i}" for i in run.ids]), server)
        run.measure("orm_list_page1", paths("orm_list.txt", ["/activities?limit=50"]), server)
        filtered = ["/activities?limit=50&country=MX&status=active"]
        run.measure("orm_list_filtered", paths("orm_filtered.txt", filtered), server)
        run.rss_after.update({f"orm[{pid}]": mb for pid, mb in server.rss().items()})
    finally:
        server.stop()


def raw(run: Run) -> None:
    print("reference: raw asyncpg, 2 processes x 8 connections", flush=True)
    seconds, warmup = run.args.seconds, min(run.args.warmup, 2)
    for name in QUERIES:
        run.measure(name, lambda _, n=name: run_raw(run.url, n, run.ids, seconds, warmup), None, "no HTTP")
