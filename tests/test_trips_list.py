"""Listing trips: every filter (late_clearance's edge days included), sorting, paging, import/export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import get_settings
from tests.conftest import Keys
from tests.factories import activity, post, trip
from tests.support.problems import problem

URL = "/api/v1/trips"
NDJSON = {"Content-Type": "application/x-ndjson"}


async def today(session: AsyncSession) -> date:
    """The database's current_date: what "today" means to the late_clearance rule."""
    return await session.scalar(select(func.current_date()))  # type: ignore[return-value]


async def references(client: httpx.AsyncClient, keys: Keys, query: str) -> set[str]:
    listed = await client.get(f"{URL}?{query}", headers=keys["admin"])
    assert listed.status_code == 200, listed.text
    return {t["reference"] for t in listed.json()["items"]}


async def make(client: httpx.AsyncClient, keys: Keys, **fields: Any) -> dict[str, Any]:
    created = await client.post(URL, json=trip(**fields), headers=keys["admin"])
    assert created.status_code == 201, created.text
    return dict(created.json())


@pytest.fixture
async def world(client: httpx.AsyncClient, keys: Keys) -> dict[str, Any]:
    """Four trips across components, countries, posts, activities, dates and clearance states."""
    hague = (
        await client.post("/api/v1/posts", json=post(city="The Hague", country="NL"), headers=keys["admin"])
    ).json()
    act = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    ids = {
        "A": await make(client, keys, reference="A", countries=["MX"], activity_ids=[act["id"]]),
        "B": await make(
            client, keys, reference="B", component="ICE", countries=["MX", "GT"],
            depart_on="2027-05-01", return_on="2027-05-03", clearance_status="approved",
            clearance_requested_on="2027-03-01", clearance_decided_on="2027-03-20",
        ),
        "C": await make(
            client, keys, reference="C", countries=["NL"], post_ids=[hague["id"]],
            depart_on="2027-03-19", return_on="2027-03-25", clearance_status="not_required",
            clearance_requested_on=None,
        ),
        "D": await make(
            client, keys, reference="D", component="ICE", countries=["NL"], post_ids=[hague["id"]],
            activity_ids=[act["id"]], clearance_status="cancelled",
        ),
    }  # fmt: skip
    return {"post": hague["id"], "activity": act["id"], "ids": {k: v["id"] for k, v in ids.items()}}


async def test_filters(client: httpx.AsyncClient, keys: Keys, world: dict[str, Any]) -> None:
    expected = {
        "": {"A", "B", "C", "D"},
        "component=CBP": {"A", "C"},
        "component=CBP&component=ICE": {"A", "B", "C", "D"},
        "country=MX": {"A", "B"},
        "country=GT&country=NL": {"B", "C", "D"},
        "country=FR": set(),
        f"post_id={world['post']}": {"C", "D"},
        f"activity_id={world['activity']}": {"A", "D"},
        f"activity_id={world['activity']}&post_id={world['post']}": {"D"},
        "clearance_status=approved": {"B"},
        "clearance_status=not_required&clearance_status=cancelled": {"C", "D"},
        "active_on=2027-03-19": {"A", "C", "D"},  # a trip's first and last days count
        "active_on=2027-03-20": {"C"},
        "active_on=2027-05-03": {"B"},
        "active_on=2027-06-01": set(),
        "component=ICE&country=NL": {"D"},
    }
    for query, wanted in expected.items():
        assert await references(client, keys, query) == wanted, query


async def test_updated_since_and_archived(
    client: httpx.AsyncClient, keys: Keys, world: dict[str, Any]
) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await references(client, keys, f"updated_since={past}") == {"A", "B", "C", "D"}
    assert await references(client, keys, str(httpx.QueryParams(updated_since=future))) == set()
    gone = await client.delete(f"{URL}/{world['ids']['C']}", headers={**keys["admin"], "If-Match": '"1"'})
    assert gone.status_code == 204
    assert await references(client, keys, "") == {"A", "B", "D"}
    assert await references(client, keys, "include_archived=true&country=NL") == {"C", "D"}


def requested(depart: date, days_before: int, ref: str) -> dict[str, Any]:
    return {
        "reference": ref,
        "depart_on": str(depart),
        "return_on": str(depart + timedelta(days=5)),
        "clearance_status": "requested",
        "clearance_requested_on": str(depart - timedelta(days=days_before)),
    }


def unrequested(depart: date, ref: str) -> dict[str, Any]:
    return {
        "reference": ref,
        "depart_on": str(depart),
        "return_on": str(depart + timedelta(days=5)),
        "clearance_status": "not_requested",
        "clearance_requested_on": None,
    }


async def test_late_clearance_edge_days(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    now = await today(session)
    later = now + timedelta(days=200)
    for body in (
        requested(later, 30, "REQ-30"),  # exactly CLEARANCE_LEAD_DAYS before departure: in time
        requested(later, 29, "REQ-29"),
        requested(later, 31, "REQ-31"),
        requested(later, -2, "REQ-AFTER"),  # asked after leaving
        unrequested(now + timedelta(days=30), "NOT-30"),
        unrequested(now + timedelta(days=29), "NOT-29"),
        unrequested(now + timedelta(days=31), "NOT-31"),
        unrequested(now, "NOT-TODAY"),
        unrequested(now - timedelta(days=40), "NOT-GONE"),  # travelled without asking
        # Decided or not needed: never late, however the dates fall.
        {**requested(now + timedelta(days=3), 1, "APPROVED"), "clearance_status": "approved",
         "clearance_decided_on": str(now + timedelta(days=2))},
        {**unrequested(now + timedelta(days=3), "NOT-REQUIRED"), "clearance_status": "not_required"},
    ):  # fmt: skip
        await make(client, keys, **body)
    late = {"REQ-29", "REQ-AFTER", "NOT-29", "NOT-TODAY", "NOT-GONE"}
    assert await references(client, keys, "late_clearance=true") == late
    others = {"REQ-30", "REQ-31", "NOT-30", "NOT-31", "APPROVED", "NOT-REQUIRED"}
    assert await references(client, keys, "late_clearance=false") == others
    assert await references(client, keys, "late_clearance=true&clearance_status=requested") == {
        "REQ-29",
        "REQ-AFTER",
    }


async def test_late_clearance_follows_the_configured_lead(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = await today(session)
    await make(client, keys, **requested(now + timedelta(days=100), 12, "REQ-12"))
    await make(client, keys, **unrequested(now + timedelta(days=9), "NOT-9"))
    assert await references(client, keys, "late_clearance=true") == {"REQ-12", "NOT-9"}
    monkeypatch.setattr(get_settings(), "clearance_lead_days", 10)
    assert await references(client, keys, "late_clearance=true") == {"NOT-9"}


async def test_sort_by_dates_and_pages(client: httpx.AsyncClient, keys: Keys) -> None:
    departures = ["2027-04-03", "2027-04-01", "2027-04-02", "2027-04-01", "2027-04-05"]
    made = [
        await make(client, keys, reference=f"S{n}", depart_on=d, return_on=f"2027-05-{10 - n:02d}")
        for n, d in enumerate(departures)
    ]
    by_depart = sorted(made, key=lambda t: (t["depart_on"], t["id"]))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"sort": "depart_on", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(URL, params=params, headers=keys["admin"])
        assert page.status_code == 200, page.text
        seen += [t["reference"] for t in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        assert 'rel="next"' in page.headers["link"]
    assert seen == [t["reference"] for t in by_depart]
    newest_return = await client.get(URL, params={"sort": "-return_on", "limit": 1}, headers=keys["admin"])
    assert newest_return.json()["items"][0]["reference"] == "S0"
    by_reference = await client.get(URL, params={"sort": "-reference"}, headers=keys["admin"])
    assert [t["reference"] for t in by_reference.json()["items"]] == ["S4", "S3", "S2", "S1", "S0"]
    problem(
        await client.get(
            URL, params={"sort": "return_on", "cursor": cursor or "bm9wZQ"}, headers=keys["admin"]
        ),
        400,
    )


@pytest.mark.parametrize(
    "query",
    [
        "country=mx",
        "component=ZZZ",
        "post_id=nope",
        "activity_id=12",
        "clearance_status=pending",
        "active_on=2027-13-01",
        "late_clearance=perhaps",
        "updated_since=2025-01-01T00:00:00",  # no offset
        "sort=travelers",
        "limit=0",
        "include_archived=perhaps",
    ],
)
async def test_malformed_filters_are_422(client: httpx.AsyncClient, keys: Keys, query: str) -> None:
    problem(await client.get(f"{URL}?{query}", headers=keys["reader"]), 422)


async def test_import_is_set_checked_and_export_uses_the_filters(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    live_post = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()["id"]
    rows = [trip(post_ids=[live_post]), trip(component="ICE"), trip(countries=["NL"])]
    bad = [
        *rows,
        trip(activity_ids=["0190c4d0-0000-7000-8000-000000000000"]),
        trip(clearance_status="approved"),
    ]
    body = "".join(json.dumps(r) + "\n" for r in bad)
    refused = problem(
        await client.post(f"{URL}/import", content=body, headers={**keys["admin"], **NDJSON}), 422
    )
    named = sorted((e["loc"][1], e["loc"][2]) for e in refused["errors"])
    assert named == [(4, "activity_ids"), (5, "clearance_decided_on")]
    assert await references(client, keys, "") == set()
    editor = problem(await client.post(f"{URL}/import", content=body, headers={**keys["cbp"], **NDJSON}), 403)
    assert "row 2" in editor["detail"].lower()

    good = "".join(json.dumps(r) + "\n" for r in rows)
    imported = await client.post(f"{URL}/import", content=good, headers={**keys["admin"], **NDJSON})
    assert imported.status_code == 201 and imported.json()["imported"] == 3
    exported = await client.get(
        f"{URL}/export", params={"format": "ndjson", "country": "MX"}, headers=keys["admin"]
    )
    assert exported.status_code == 200
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert sorted(t["reference"] for t in lines) == sorted([rows[0]["reference"], rows[1]["reference"]])
    sent = {r["reference"]: r for r in rows}
    assert all({k: line[k] for k in sent[line["reference"]]} == sent[line["reference"]] for line in lines)
    csv_export = await client.get(f"{URL}/export", params={"format": "csv"}, headers=keys["admin"])
    assert csv_export.status_code == 200 and csv_export.text.splitlines()[0].startswith(
        "id,reference,component"
    )
