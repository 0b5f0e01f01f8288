"""Listing postings: every filter, malformed filters, sorting and keyset pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Posting
from tests.conftest import Keys
from tests.factories import post, posting

URL = "/api/v1/postings"


async def make_post(client: httpx.AsyncClient, keys: Keys, **fields: Any) -> str:
    created = await client.post("/api/v1/posts", json=post(**fields), headers=keys["admin"])
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def numbers(client: httpx.AsyncClient, keys: Keys, query: str) -> set[str]:
    listed = await client.get(f"{URL}?{query}", headers=keys["reader"])
    assert listed.status_code == 200, listed.text
    return {p["position_number"] for p in listed.json()["items"]}


@pytest.fixture
async def world(client: httpx.AsyncClient, keys: Keys) -> dict[str, Any]:
    """Four postings across components, posts, cities and countries."""
    mexico = await make_post(client, keys, city="Mexico City", country="MX")
    guadalajara = await make_post(client, keys, city="Guadalajara", country="MX", post_type="consulate")
    hague = await make_post(client, keys, city="The Hague", country="NL")
    rows = {
        "A": posting(mexico, position_number="A", status="filled", nsdd38_status="approved"),
        "B": posting(
            guadalajara,
            position_number="B",
            component="ICE",
            role="liaison_officer",
            employment_category="tdy",
            status="vacant",
            nsdd38_status="submitted",
        ),
        "C": posting(hague, position_number="C", role="dhs_attache", nsdd38_status="not_required"),
        "D": posting(hague, position_number="D", component="ICE", employment_category="locally_employed"),
    }
    ids = {}
    for key, body in rows.items():
        created = await client.post(URL, json=body, headers=keys["admin"])
        assert created.status_code == 201, created.text
        ids[key] = created.json()["id"]
    return {"posts": {"mexico": mexico, "guadalajara": guadalajara, "hague": hague}, "ids": ids}


async def test_filters(client: httpx.AsyncClient, keys: Keys, world: dict[str, Any]) -> None:
    posts = world["posts"]
    expected = {
        "": {"A", "B", "C", "D"},
        "component=CBP": {"A", "C"},
        "component=CBP&component=ICE": {"A", "B", "C", "D"},
        "country=MX": {"A", "B"},
        "country=NL&country=GT": {"C", "D"},
        "country=GT": set(),
        f"post_id={posts['hague']}": {"C", "D"},
        f"post_id={posts['mexico']}&post_id={posts['guadalajara']}": {"A", "B"},
        "city=Guadalajara": {"B"},
        "city=The%20Hague&city=Mexico%20City": {"A", "C", "D"},
        "status=filled": {"A"},
        "status=vacant&status=approved": {"B", "C", "D"},
        "role=dhs_attache": {"C"},
        "role=liaison_officer&role=component_attache": {"A", "B", "D"},
        "employment_category=tdy": {"B"},
        "employment_category=locally_employed": {"D"},
        "nsdd38_status=approved": {"A", "D"},
        "nsdd38_status=not_required&nsdd38_status=submitted": {"B", "C"},
        "component=ICE&country=NL": {"D"},
        "component=CBP&status=abolished": set(),
    }
    for query, wanted in expected.items():
        assert await numbers(client, keys, query) == wanted, query


async def test_updated_since_and_archived(
    client: httpx.AsyncClient, keys: Keys, world: dict[str, Any]
) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await numbers(client, keys, f"updated_since={past}") == {"A", "B", "C", "D"}
    assert await numbers(client, keys, str(httpx.QueryParams(updated_since=future))) == set()
    gone = await client.delete(f"{URL}/{world['ids']['C']}", headers={**keys["admin"], "If-Match": '"1"'})
    assert gone.status_code == 204
    assert await numbers(client, keys, "") == {"A", "B", "D"}
    assert await numbers(client, keys, "include_archived=true") == {"A", "B", "C", "D"}
    assert await numbers(client, keys, "include_archived=true&component=CBP&country=NL") == {"C"}


@pytest.mark.parametrize(
    "query",
    [
        "country=mx",
        "country=QQ",
        "component=ZZZ",
        "component=cbp",
        "post_id=nope",
        "status=occupied",
        "role=spy",
        "employment_category=volunteer",
        "nsdd38_status=maybe",
        "updated_since=2025-01-01T00:00:00",  # no offset
        "sort=fte",
        "limit=0",
        "limit=201",
        "include_archived=perhaps",
    ],
)
async def test_malformed_filters_are_422(client: httpx.AsyncClient, keys: Keys, query: str) -> None:
    response = await client.get(f"{URL}?{query}", headers=keys["reader"])
    assert response.status_code == 422, (query, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_tampered_cursor_is_400(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get(f"{URL}?cursor=bm90LWEtY3Vyc29y", headers=keys["reader"])
    assert response.status_code == 400 and response.json()["status"] == 400


async def bulk(session: AsyncSession, post_id: str, count: int) -> set[str]:
    """Many valid rows straight into the table (the API path is covered above; this is about paging)."""
    rows = [
        {**posting(post_id, position_number=f"BULK-{n:04d}"), "created_by": "test", "updated_by": "test"}
        for n in range(count)
    ]
    await session.execute(insert(Posting), rows)
    await session.commit()
    return {r["position_number"] for r in rows}


async def walk(client: httpx.AsyncClient, keys: Keys, query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"{URL}?{query}"
    while url is not None:
        page = await client.get(url, headers=keys["reader"])
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 50
        items += body["items"]
        if body["next_cursor"] is None:
            assert "link" not in page.headers
            url = None
        else:
            url = page.headers["link"].split(">")[0].lstrip("<").replace("http://test", "")
            assert f"cursor={body['next_cursor']}" in url
    return items


@pytest.mark.parametrize(
    "sort", ["id", "-id", "position_number", "-position_number", "created_at", "-updated_at"]
)
async def test_pagination_125_rows(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, sort: str
) -> None:
    post_id = await make_post(client, keys)
    made = await bulk(session, post_id, 125)
    items = await walk(client, keys, f"limit=50&sort={sort}")
    seen = [i["position_number"] for i in items]
    assert len(seen) == 125 and set(seen) == made  # nothing missing, nothing repeated
    key = sort.lstrip("-")
    values = [(i[key], i["id"]) for i in items]
    assert values == sorted(values, reverse=sort.startswith("-"))


async def test_cursor_is_bound_to_its_sort(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    await bulk(session, await make_post(client, keys), 3)
    first = (await client.get(f"{URL}?limit=1&sort=position_number", headers=keys["reader"])).json()
    other = await client.get(f"{URL}?limit=1&sort=id&cursor={first['next_cursor']}", headers=keys["reader"])
    assert other.status_code == 400
