"""Listing recommendations: every filter (overdue included), malformed filters, keyset pagination."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Recommendation
from service.recommendations.schemas import RecommendationCreate
from tests.conftest import Keys
from tests.factories import recommendation

URL = "/api/v1/recommendations"


async def titles(client: httpx.AsyncClient, keys: Keys, query: str) -> set[str]:
    listed = await client.get(f"{URL}?{query}", headers=keys["reader"])
    assert listed.status_code == 200, listed.text
    return {r["title"] for r in listed.json()["items"]}


async def advance(client: httpx.AsyncClient, keys: Keys, rec_id: str, *statuses: str) -> None:
    for to in statuses:
        body = {"to_status": to, "note": "done"}
        moved = await client.post(f"{URL}/{rec_id}/updates", json=body, headers=keys["admin"])
        assert moved.status_code == 201, moved.text


@pytest.fixture
async def world(client: httpx.AsyncClient, keys: Keys) -> dict[str, str]:
    """A: overdue CBP; B: CBP, target passed but closed; C: ICE priority, future target; D: OIA, none."""
    past, future = (
        (date.today() - timedelta(days=30)).isoformat(),
        (date.today() + timedelta(days=30)).isoformat(),
    )
    bodies = {
        "A": recommendation(title="A", report_number="OIG-08-71", target_date=past),
        "B": recommendation(title="B", report_number="OIG-08-71", target_date=past),
        "C": recommendation(
            title="C",
            report_number="GAO-13-681",
            responsible_component="ICE",
            priority=True,
            target_date=future,
        ),
        "D": recommendation(title="D", report_number="GAO-13-681", responsible_component="OIA"),
    }
    ids = {}
    for key, body in bodies.items():
        created = await client.post(URL, json=body, headers=keys["admin"])
        assert created.status_code == 201, created.text
        ids[key] = created.json()["id"]
    await advance(client, keys, ids["B"], "open_resolved", "closed_implemented")
    await advance(client, keys, ids["C"], "open_resolved")
    return ids


async def test_filters(client: httpx.AsyncClient, keys: Keys, world: dict[str, str]) -> None:
    expected = {
        "": {"A", "B", "C", "D"},
        "status=open_unresolved": {"A", "D"},
        "status=open_resolved&status=closed_implemented": {"B", "C"},
        "status=closed_not_implemented": set(),
        "responsible_component=CBP": {"A", "B"},
        "responsible_component=ICE&responsible_component=OIA": {"C", "D"},
        "report_number=OIG-08-71": {"A", "B"},
        "report_number=GAO-13-681&report_number=OIG-08-71": {"A", "B", "C", "D"},
        "report_number=OIG-00-00": set(),
        "priority=true": {"C"},
        "priority=false": {"A", "B", "D"},
        "overdue=true": {"A"},
        "overdue=false": {"B", "C", "D"},
        "overdue=true&responsible_component=ICE": set(),
        "responsible_component=CBP&status=closed_implemented": {"B"},
    }
    for query, wanted in expected.items():
        assert await titles(client, keys, query) == wanted, query


async def test_updated_since_and_archived(
    client: httpx.AsyncClient, keys: Keys, world: dict[str, str]
) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await titles(client, keys, str(httpx.QueryParams(updated_since=past))) == {"A", "B", "C", "D"}
    assert await titles(client, keys, str(httpx.QueryParams(updated_since=future))) == set()
    gone = await client.delete(f"{URL}/{world['D']}", headers={**keys["admin"], "If-Match": '"1"'})
    assert gone.status_code == 204
    assert await titles(client, keys, "") == {"A", "B", "C"}
    assert await titles(client, keys, "include_archived=true&responsible_component=OIA") == {"D"}


@pytest.mark.parametrize(
    "query",
    [
        "status=closed",
        "responsible_component=ZZZ",
        "responsible_component=cbp",
        "report_number=has%20space",
        "priority=very",
        "overdue=later",
        "updated_since=yesterday",
        "sort=closed_on",
        "limit=500",
    ],
)
async def test_malformed_filters_are_422(client: httpx.AsyncClient, keys: Keys, query: str) -> None:
    response = await client.get(f"{URL}?{query}", headers=keys["reader"])
    assert response.status_code == 422, (query, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("sort", ["id", "-number", "report_number", "-report_date", "updated_at"])
async def test_pagination_130_rows(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, sort: str
) -> None:
    rows = [
        {
            **RecommendationCreate.model_validate(
                recommendation(report_number=f"R-{n % 3}", number=n + 1, report_date=f"20{10 + n % 7}-01-01")
            ).model_dump(),
            "status": "open_unresolved",
            "created_by": "test",
            "updated_by": "test",
        }
        for n in range(130)
    ]
    await session.execute(insert(Recommendation), rows)
    await session.commit()
    items: list[dict[str, Any]] = []
    url: str | None = f"{URL}?limit=40&sort={sort}"
    while url:
        page = await client.get(url, headers=keys["reader"])
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        url = f"{URL}?limit=40&sort={sort}&cursor={cursor}" if cursor else None
    assert len(items) == 130 and len({i["id"] for i in items}) == 130
    key = sort.lstrip("-")
    values = [(i[key], i["id"]) for i in items]
    assert values == sorted(values, reverse=sort.startswith("-"))
