"""Trips in the coordination views: travellers abroad in the footprint, trips in the country profile."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Keys
from tests.factories import trip


@pytest.fixture
async def today(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> date:
    """Trips around the database's today (the views' "today"); returns that day."""
    now: date = await session.scalar(select(func.current_date()))  # type: ignore[assignment]

    def span(start: int, end: int) -> dict[str, str]:
        return {"depart_on": str(now + timedelta(days=start)), "return_on": str(now + timedelta(days=end))}

    approved = {"clearance_status": "approved", "clearance_requested_on": str(now - timedelta(days=60))}
    approved["clearance_decided_on"] = str(now - timedelta(days=30))
    bodies: list[dict[str, Any]] = [
        trip(reference="UNDER-WAY", countries=["MX"], travelers=4, **span(-2, 3), **approved),
        trip(
            reference="DAY-TRIP",
            component="ICE",
            countries=["MX", "GT"],
            travelers=2,
            **span(0, 0),
            clearance_status="not_requested",
            clearance_requested_on=None,
        ),
        trip(
            reference="SECRET",
            component="USSS",
            countries=["FR"],
            travelers=1,
            sensitivity="les",
            **span(-1, 1),
        ),
        trip(reference="TOMORROW", countries=["NL", "MX"], travelers=10, **span(1, 5)),
        trip(reference="EDGE-90", component="ICE", countries=["MX"], travelers=3, **span(90, 92)),
        trip(reference="BEYOND-90", countries=["MX"], travelers=50, **span(91, 92)),
        trip(reference="OVER", countries=["MX"], travelers=50, **span(-9, -1)),
        trip(
            reference="CANCELLED", countries=["MX"], travelers=50, **span(0, 2), clearance_status="cancelled"
        ),
        trip(
            reference="DENIED",
            countries=["MX"],
            travelers=50,
            **span(0, 2),
            **{**approved, "clearance_status": "denied"},
        ),
        trip(reference="ARCHIVED", countries=["MX"], travelers=50, **span(0, 2)),
    ]
    for body in bodies:
        created = await client.post("/api/v1/trips", json=body, headers=keys["admin"])
        assert created.status_code == 201, created.text
    archived = await client.delete(
        f"/api/v1/trips/{created.json()['id']}", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    return now


async def get(client: httpx.AsyncClient, keys: Keys, url: str, **params: Any) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=keys["reader"])
    assert response.status_code == 200, response.text
    return dict(response.json())


def travel(body: dict[str, Any]) -> dict[str, int]:
    return {row["country"]: row["travelers_abroad"] for row in body["by_country"]}


async def test_footprint_counts_travellers_abroad_today(
    client: httpx.AsyncClient, keys: Keys, today: date
) -> None:
    body = await get(client, keys, "/api/v1/footprint")
    # Under way today, not cancelled, denied or archived; every sensitivity counts (no trip is named).
    assert body["travelers_abroad"] == 4 + 2 + 1
    assert travel(body) == {"FR": 1, "GT": 2, "MX": 6}  # the day trip counts in both its countries
    fr = next(row for row in body["by_country"] if row["country"] == "FR")
    assert fr == {"country": "FR", "officials": 0.0, "positions": 0, "components": 0, "travelers_abroad": 1}
    assert body["officials"] == 0 and body["countries"] == 0  # trips are not postings


async def test_footprint_filters_and_as_of_apply_to_trips(
    client: httpx.AsyncClient, keys: Keys, today: date
) -> None:
    ice = await get(client, keys, "/api/v1/footprint", component="ICE")
    assert (ice["travelers_abroad"], travel(ice)) == (2, {"GT": 2, "MX": 2})
    gt = await get(client, keys, "/api/v1/footprint", country="GT")
    assert (gt["travelers_abroad"], travel(gt)) == (2, {"GT": 2})  # MX is outside the filter
    tomorrow = await get(client, keys, "/api/v1/footprint", as_of=str(today + timedelta(days=1)))
    assert (tomorrow["travelers_abroad"], travel(tomorrow)) == (4 + 1 + 10, {"FR": 1, "MX": 14, "NL": 10})
    far = await get(client, keys, "/api/v1/footprint", as_of=str(today + timedelta(days=300)))
    assert (far["travelers_abroad"], far["by_country"]) == (0, [])


async def test_country_profile_lists_current_and_upcoming_trips(
    client: httpx.AsyncClient, keys: Keys, today: date
) -> None:
    mexico = await get(client, keys, "/api/v1/countries/MX")
    assert mexico["trips"] == [
        {"component": "CBP", "count": 2, "travelers": 4 + 10},  # under way, and tomorrow's
        {"component": "ICE", "count": 2, "travelers": 2 + 3},  # today's, and the one 90 days out
    ]
    assert (await get(client, keys, "/api/v1/countries/FR"))["trips"] == [
        {"component": "USSS", "count": 1, "travelers": 1}
    ]
    assert (await get(client, keys, "/api/v1/countries/DE"))["trips"] == []
