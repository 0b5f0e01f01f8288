"""Activity lists: filters (OR within one, AND across), sort, keyset pagination, Link header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Keys
from tests.factories import activity

API = "/api/v1/activities"


async def make(client: httpx.AsyncClient, keys: Keys, **fields: Any) -> str:
    headers = keys["ice"] if fields.get("lead_component") == "ICE" else keys["admin"]
    response = await client.post(API, json=activity(**fields), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def ids(client: httpx.AsyncClient, keys: Keys, **params: Any) -> set[str]:
    response = await client.get(API, params={"limit": 200, **params}, headers=keys["reader"])
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
async def world(client: httpx.AsyncClient, keys: Keys) -> dict[str, str]:
    partner = {"name": "Policía Federal", "country": "GT", "partner_type": "law_enforcement"}
    return {
        "cbp_mx": await make(client, keys, countries=["MX"], start_date="2024-01-01", end_date="2024-06-30"),
        "ice_gt": await make(
            client,
            keys,
            lead_component="ICE",
            countries=["GT"],
            activity_type="investigation",
            status="planned",
            foreign_partners=[partner],
        ),
        "cbp_mx_gt": await make(
            client, keys, countries=["MX", "GT"], status="completed", start_date="2025-01-01"
        ),
    }


async def test_filters(client: httpx.AsyncClient, keys: Keys, world: dict[str, str]) -> None:
    w = world
    assert await ids(client, keys, component="ICE") == {w["ice_gt"]}
    assert await ids(client, keys, country="GT") == {w["ice_gt"], w["cbp_mx_gt"]}
    assert await ids(client, keys, country=["MX", "GT"]) == set(w.values())
    assert await ids(client, keys, type="investigation") == {w["ice_gt"]}
    assert await ids(client, keys, status=["planned", "completed"]) == {w["ice_gt"], w["cbp_mx_gt"]}
    assert await ids(client, keys, partner_country="GT") == {w["ice_gt"]}
    assert await ids(client, keys, component="CBP", country="GT") == {w["cbp_mx_gt"]}
    # active_on: open-ended dates run forever while the activity is live; the end date itself counts.
    assert await ids(client, keys, active_on="2024-06-30") == {w["cbp_mx"], w["ice_gt"]}
    # cbp_mx_gt is completed with no end_date: it ended on a day nobody recorded, so no day matches it.
    assert await ids(client, keys, active_on="2025-02-01") == {w["ice_gt"]}
    assert await ids(client, keys, component="USSS") == set()


async def test_active_on_counts_an_ended_activity_only_within_its_dates(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    """Completed and cancelled activities count on the days their dates cover, never after an
    unrecorded end; live ones with no end_date run on."""
    dated = await make(client, keys, status="completed", start_date="2024-01-01", end_date="2024-03-31")
    await make(client, keys, status="cancelled", start_date="2024-01-01")  # no end_date: never counts
    suspended = await make(client, keys, status="suspended", start_date="2024-01-01")
    assert await ids(client, keys, active_on="2024-02-15") == {dated, suspended}
    assert await ids(client, keys, active_on="2030-01-01") == {suspended}
    assert await ids(client, keys, active_on="2023-12-31") == set()


async def test_updated_since(client: httpx.AsyncClient, keys: Keys, world: dict[str, str]) -> None:
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await ids(client, keys, updated_since=future) == set()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert set(world.values()) <= await ids(client, keys, updated_since=past)


@pytest.mark.parametrize(
    "params",
    [
        {"country": "ZZ"},
        {"country": "mx"},
        {"component": "NOPE"},
        {"type": "spying"},
        {"status": "done"},
        {"limit": 0},
        {"limit": -1},
        {"limit": 201},
        {"limit": 2**63},
        {"limit": "abc"},
        {"active_on": "yesterday"},
        {"active_on": "0"},  # not read as a Unix time
        {"updated_since": "2024-01-01T00:00:00"},  # naive: ambiguous, refused
        {"updated_since": "0.5"},  # not read as a Unix time
        {"sort": "colour"},
        {"include_archived": "maybe"},
    ],
)
async def test_bad_query_is_422(client: httpx.AsyncClient, keys: Keys, params: dict[str, Any]) -> None:
    response = await client.get(API, params=params, headers=keys["reader"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("cursor", ["abc", "e30", "!!!", "eyJzIjoiaWQiLCJ2IjoxLCJpIjoibm9wZSJ9"])
async def test_tampered_cursor_is_400(client: httpx.AsyncClient, keys: Keys, cursor: str) -> None:
    response = await client.get(API, params={"cursor": cursor}, headers=keys["reader"])
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("sort", ["id", "-id", "title", "-title", "identifier", "-created_at", "updated_at"])
async def test_pagination_visits_every_row_once(client: httpx.AsyncClient, keys: Keys, sort: str) -> None:
    made = set()
    for n in range(125):
        made.add(await make(client, keys, identifier=f"PAGE-{n:03d}", title=f"Same title {n % 7}"))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 50, "sort": sort}
    pages = 0
    while True:
        response = await client.get(API, params=params, headers=keys["reader"])
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert f"cursor={page['next_cursor']}" in response.headers["link"]
        assert 'rel="next"' in response.headers["link"]
        params = {**params, "cursor": page["next_cursor"]}
    assert len(seen) == len(set(seen)) and made <= set(seen)
    assert pages == 3


async def test_sort_orders(client: httpx.AsyncClient, keys: Keys) -> None:
    for title in ("b", "a", "c"):
        await make(client, keys, title=f"sorted-{title}", identifier=f"SORT-{title}")
    items = (await client.get(API, params={"sort": "-title", "limit": 200}, headers=keys["reader"])).json()[
        "items"
    ]
    titles = [i["title"] for i in items if i["title"].startswith("sorted-")]
    assert titles == ["sorted-c", "sorted-b", "sorted-a"]


async def test_cursor_from_other_sort_is_400(client: httpx.AsyncClient, keys: Keys) -> None:
    for _ in range(3):
        await make(client, keys)
    first = (await client.get(API, params={"limit": 1, "sort": "title"}, headers=keys["reader"])).json()
    response = await client.get(
        API, params={"limit": 1, "sort": "id", "cursor": first["next_cursor"]}, headers=keys["reader"]
    )
    assert response.status_code == 400
