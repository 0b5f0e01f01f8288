"""The benchmark's own parts (bench/): its generated rows are valid API input, its ORM reference app
answers the same questions as the service on the same tables, and its report judges the targets."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bench import gen, orm_app, report
from bench.profile import summarise
from service.postings.schemas import PostingCreate
from service.recommendations.schemas import RecommendationCreate
from service.trips.schemas import TripCreate
from tests import factories


async def test_generated_rows_are_accepted_by_the_api(client: httpx.AsyncClient, keys: Any) -> None:
    post = (await client.post("/api/v1/posts", json=next(gen.posts(1)), headers=keys["admin"])).json()
    rows = list(gen.activities(40, {post["country"]: [post["id"]]}, prefix="TEST-BENCH"))
    assert len({r["countries"][0] for r in rows}) > 5  # spread over countries, not one
    created = []
    for row in rows:
        answer = await client.post("/api/v1/activities", json=row, headers=keys["admin"])
        assert answer.status_code == 201, answer.text
        created.append(answer.json()["id"])
    for row in gen.postings(50, [(post["id"], post["country"])], created):
        PostingCreate.model_validate(row)
    for row in gen.recommendations(30, created, []):
        RecommendationCreate.model_validate(row)
    trips = list(gen.trips(300, [(post["id"], post["country"])], created))
    assert {"requested", "not_requested", "approved"} <= {r["clearance_status"] for r in trips}
    for row in trips[:20]:
        answer = await client.post("/api/v1/trips", json=row, headers=keys["admin"])
        assert answer.status_code == 201, answer.text
    for row in trips[20:]:
        TripCreate.model_validate(row)


async def test_orm_reference_app_reads_the_same_tables(
    client: httpx.AsyncClient, keys: Any, session: AsyncSession
) -> None:
    ids = []
    for country, status in (("MX", "active"), ("MX", "completed"), ("GT", "active"), ("MX", "active")):
        body = factories.activity(countries=[country], status=status)
        ids.append((await client.post("/api/v1/activities", json=body, headers=keys["admin"])).json()["id"])

    async def same_session() -> AsyncIterator[AsyncSession]:
        yield session

    orm_app.app.dependency_overrides[orm_app.get_session] = same_session
    try:
        transport = httpx.ASGITransport(app=orm_app.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orm") as orm:
            one = await orm.get(f"/activities/{ids[0]}")
            assert one.status_code == 200
            service_view = (await client.get(f"/api/v1/activities/{ids[0]}", headers=keys["admin"])).json()
            assert {k: one.json()[k] for k in ("identifier", "countries", "status", "version")} == {
                k: service_view[k] for k in ("identifier", "countries", "status", "version")
            }
            assert (await orm.get(f"/activities/{uuid.uuid4()}")).status_code == 404
            page = (
                await orm.get("/activities", params={"country": "MX", "status": "active", "limit": 50})
            ).json()
            mine = [item["id"] for item in page["items"] if item["id"] in ids]
            assert mine == [ids[0], ids[3]]  # filtered by both, in id order
    finally:
        orm_app.app.dependency_overrides.clear()


def _row(rps: float, p99: float = 10.0, cpu: float = 1.0) -> dict[str, Any]:
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": p99, "errors": 0, "app_cpu_ms": cpu, "db_cpu_ms": 0.0}


def test_report_ratios_and_target_verdicts() -> None:
    rows = {
        "health_live": _row(4000),
        "get_by_id": _row(1500, p99=60, cpu=1.0),
        "orm_by_id": _row(500, cpu=2.0),
        "raw_by_id": _row(9000),
        "list_page1": _row(600),
        "list_deep": _row(550),
        "post_create": _row(1000),
    }
    report.add_ratios(rows)
    assert rows["get_by_id"]["x_orm"] == 3.0
    assert rows["get_by_id"]["x_floor"] == 0.38
    checked = report.targets(rows, {}, {"w1": 150.0})
    verdicts = {t["target"]: t["met"] for t in checked}
    assert checked[0]["by_cpu"] == 2.0  # the same ratio measured by CPU per request
    assert verdicts["GET by id vs ORM by id (x)"] is True
    assert verdicts["GET by id p99 at 16 connections (ms)"] is False
    assert verdicts["Page 1,000 cost vs page 1 (x)"] is True
    assert verdicts["POST with audit vs GET by id (x, no errors)"] is True
    assert verdicts["Footprint p50, one request at a time (ms)"] is None  # not measured
    assert verdicts["Largest worker RSS after the run (MB)"] is True


def test_profile_summary_counts_self_and_inclusive_samples() -> None:
    collapsed = "process 1;main (app.py:3);read (db.py:10) 3\nprocess 1;main (app.py:4) 1\n"
    summary = summarise(collapsed)
    assert summary["samples"] == 4
    assert summary["self"][0] == ("read (db.py)", 75.0)
    assert ("main (app.py)", 100.0) in summary["inclusive"]
