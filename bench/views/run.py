"""Time every coordination view (and full-text search) on the database bench/views/load.py filled.

Requests go through the real application in-process (httpx ASGITransport: routing, auth, SQL,
serialisation; no network), each timed N times after one warm-up; the table shows the median and
the slowest run. Then it prints the query plans the views rely on (EXPLAIN ANALYZE).

    uv run python bench/views/run.py [--url postgresql://postgres@127.0.0.1/oia_bench] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import Settings
from service.coordination import overlaps
from service.coordination.coverage import coverage_query
from service.coordination.footprint import footprint_query
from service.coordination.pair_cursor import NIL
from service.coordination.tuning import analytic
from service.db import make_engine, make_read_sessionmaker, make_sessionmaker, normalize_url
from service.main import create_app
from service.ops.keys import create_key
from service.schemas.vocab import Role

V = "/api/v1"
VIEWS = [
    ("footprint", f"{V}/footprint"),
    ("footprint CBP as_of", f"{V}/footprint?component=CBP&as_of=2024-06-30"),
    ("country MX", f"{V}/countries/MX"),
    ("country BE", f"{V}/countries/BE"),
    ("country with nothing (ZW)", f"{V}/countries/ZW"),
    ("overlaps", f"{V}/coordination/overlaps"),
    ("overlaps include_marked", f"{V}/coordination/overlaps?include_marked=true"),
    ("overlaps component=USCG", f"{V}/coordination/overlaps?component=USCG"),
    ("overlaps min_score=3", f"{V}/coordination/overlaps?min_score=3"),
    ("overlaps min_score=4", f"{V}/coordination/overlaps?min_score=4"),
    ("overlaps MX", f"{V}/coordination/overlaps?country=MX"),
    ("overlaps MX min_score=2", f"{V}/coordination/overlaps?country=MX&min_score=2"),
    ("overlaps MX min_score=3", f"{V}/coordination/overlaps?country=MX&min_score=3"),
    ("overlaps MX min_score=4", f"{V}/coordination/overlaps?country=MX&min_score=4"),
    ("overlaps GT limit=200", f"{V}/coordination/overlaps?country=GT&limit=200"),
    ("overlaps MX, 20th page", "follow:" + f"{V}/coordination/overlaps?country=MX"),
    ("recommendations summary", f"{V}/recommendations/summary"),
    ("strategic-goals coverage", f"{V}/strategic-goals/coverage"),
    ("activities q=cargo screening", f"{V}/activities?q=cargo%20screening"),
    ("activities q=border (common)", f"{V}/activities?q=border"),
    ("activities q=border, 20th page", "follow:" + f"{V}/activities?q=border"),
    ("activities q=... sort=-updated_at", f"{V}/activities?q=customs%20authority&sort=-updated_at"),
]


LIVE = "status IN ('planned', 'active', 'suspended') AND archived_at IS NULL"
COUNTS = f"""
SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM activities WHERE {LIVE}),
       (SELECT count(*) FROM postings), (SELECT count(*) FROM posts), (SELECT count(*) FROM recommendations)
"""


def app_for(url: str) -> Any:
    settings = Settings(database_url=url, auth_cache_seconds=60)
    app = create_app(settings)
    engine = make_engine(normalize_url(url), settings)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_read_sessionmaker(engine)
    return app


async def admin_header(app: Any) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        _, key = await create_key(session, name=f"bench-{time.time_ns()}", role=Role.admin, component=None)
        await session.commit()
    return {"Authorization": f"Bearer {key}"}


async def twentieth_page(http: httpx.AsyncClient, path: str) -> str:
    """The URL of page 20 (keyset pagination: it should cost what page 1 costs)."""
    url = path
    for _ in range(19):
        cursor = (await http.get(url)).json()["next_cursor"]
        url = f"{path}&cursor={cursor}"
    return url


async def time_view(http: httpx.AsyncClient, path: str, runs: int) -> tuple[float, float, Any]:
    response = await http.get(path)  # warm-up; also shows the view works
    response.raise_for_status()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        (await http.get(path)).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples), response.json()


def describe(body: Any) -> str:
    if "items" in body:
        more = "more" if body["next_cursor"] else "end"
        return f"{len(body['items'])} items, {more}"
    if "officials" in body and "by_country" in body:
        return f"{body['officials']:.0f} officials, {body['countries']} countries"
    if "goals" in body:
        return f"{len(body['goals'])} goals, {body['unaligned']['count']} unaligned"
    if "overdue" in body:
        return f"{len(body['overdue'])} overdue, {len(body['open_over_one_year'])} open > 1 year"
    postings, recommendations = body.get("postings", []), body.get("open_recommendations", [])
    return f"{len(postings)} posting rows, {len(recommendations)} open recs"


async def timings(app: Any, runs: int) -> None:
    headers = await admin_header(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as http:
        print(f"{'view':<36} {'median ms':>9} {'max ms':>8}  result")
        for label, path in VIEWS:
            if path.startswith("follow:"):
                path = await twentieth_page(http, path.removeprefix("follow:"))
            median, worst, body = await time_view(http, path, runs)
            print(f"{label:<36} {median:9.1f} {worst:8.1f}  {describe(body)}", flush=True)


async def explain(session: AsyncSession, sql: str, params: dict[str, Any] | None = None) -> None:
    rows = await session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) {sql}"), params or {})
    for (line,) in rows:
        print("   ", line)


def compiled(stmt: Any) -> Any:
    return stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})


async def plans(app: Any) -> None:
    flt = overlaps.OverlapFilter(countries=["MX"], components=[], min_score=2, include_marked=False)
    params = {"country": "MX", "after_a": NIL, "after_b": NIL, "window": 8, "need": 51}
    async with app.state.sessionmaker() as session:
        await analytic(session)
        print("\n== overlaps, one window of one country and score (country=MX, pairs scoring 2)")
        await explain(session, overlaps.pairs_sql(flt, 2), {**params, "scope": ["MX"], "level": 2})
        print("\n== footprint (no filters)")
        await explain(session, str(compiled(footprint_query([], [], None))))
        print("\n== overlaps: which countries have a live activity (one index probe each)")
        await explain(
            session, overlaps.LIVE_COUNTRIES, {"codes": overlaps.ALL_COUNTRIES[: overlaps.PROBE_BATCH]}
        )
        print("\n== goal coverage: one pass over the live activities' goals (index-only)")
        await explain(session, str(compiled(coverage_query("USD"))))
        print("\n== full-text search, best match first (q=border)")
        await explain(
            session,
            "SELECT id, ts_rank(search, websearch_to_tsquery('english', 'border')) AS r FROM activities "
            "WHERE search @@ websearch_to_tsquery('english', 'border') AND archived_at IS NULL "
            "ORDER BY r DESC, id LIMIT 51",
        )


async def machine(app: Any) -> None:
    """How fast this machine is right now (it is shared): a fixed CPU-bound query, and the settings."""
    async with app.state.sessionmaker() as session:
        await session.execute(text("SET jit = off"))
        started = time.perf_counter()
        await session.execute(text("SELECT count(*) FROM generate_series(1, 5000000)"))
        spin = (time.perf_counter() - started) * 1000
        settings = [
            (await session.execute(text(f"SHOW {name}"))).scalar() for name in ("shared_buffers", "work_mem")
        ]
        counts = (await session.execute(text(COUNTS))).one()
    print(f"calibration: count(generate_series(1, 5M)) = {spin:.0f} ms; shared_buffers={settings[0]}")
    print("rows: {} activities ({} live), {} postings, {} posts, {} recommendations\n".format(*counts))


async def main(url: str, runs: int) -> None:
    logging.disable(logging.INFO)  # no access log line per timed request
    app = app_for(url)
    try:
        await machine(app)
        await timings(app, runs)
        await plans(app)
    finally:
        await app.state.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1/oia_bench")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.runs))
