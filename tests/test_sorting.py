"""Sorting (API.md v1.1 "Sorting"): every collection's `sort` is an enum in /openapi.json; the new
date and cost fields sort with nulls last ascending and first descending, and cursors walk every row
exactly once across nulls and ties, in both directions."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import Keys
from tests.factories import activity, post, posting, recommendation
from tests.support.problems import problem

COLLECTIONS = ("activities", "postings", "recommendations", "posts", "components", "strategic-goals")


def expected_order(rows: list[dict[str, Any]], field: str, descending: bool, kind: Any) -> list[str]:
    """Nulls last ascending, first descending; ties broken by id (the same way round)."""
    present = sorted(
        (r for r in rows if r[field] is not None),
        key=lambda r: (kind(r[field]), r["id"]),
        reverse=descending,
    )
    nulls = sorted((r for r in rows if r[field] is None), key=lambda r: r["id"], reverse=descending)
    ordered = nulls + present if descending else present + nulls
    return [r["id"] for r in ordered]


async def walk(client: httpx.AsyncClient, keys: Keys, url: str, sort: str, limit: int) -> list[str]:
    """Every id of a sorted listing, page by page through next_cursor."""
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(200):
        params: dict[str, Any] = {"sort": sort, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await client.get(url, params=params, headers=keys["reader"])
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen
        assert len(cursor) < 300
    raise AssertionError("the cursor never ended")


async def create(client: httpx.AsyncClient, keys: Keys, url: str, body: dict[str, Any]) -> dict[str, Any]:
    created = await client.post(url, json=body, headers=keys["admin"])
    assert created.status_code == 201, created.text
    return dict(created.json())


def some_dates(rng: random.Random, n: int) -> list[str | None]:
    """A few distinct dates, many ties, a third null."""
    pool = [(date(2024, 1, 1) + timedelta(days=7 * k)).isoformat() for k in range(4)]
    return [None if rng.random() < 0.33 else rng.choice(pool) for _ in range(n)]


async def test_activity_sorts_with_nulls_and_ties(client: httpx.AsyncClient, keys: Keys) -> None:
    rng = random.Random(13)
    starts = some_dates(rng, 23)
    rows = []
    for start in starts:
        end = (
            None if start is None or rng.random() < 0.4 else (date.fromisoformat(start) + timedelta(days=30))
        )
        cost = None if rng.random() < 0.3 else rng.choice(["1000.00", "250.50", "99999999.99"])
        body = activity(
            start_date=start,
            end_date=end.isoformat() if end else None,
            estimated_cost=cost,
            currency="USD" if cost else None,
        )
        rows.append(await create(client, keys, "/api/v1/activities", body))
    kinds = {"start_date": str, "end_date": str, "estimated_cost": Decimal}
    for field, kind in kinds.items():
        assert any(r[field] is None for r in rows) and any(r[field] is not None for r in rows)
        for descending in (False, True):
            sort = ("-" if descending else "") + field
            for limit in (1, 4, 7):
                got = await walk(client, keys, "/api/v1/activities", sort, limit)
                assert got == expected_order(rows, field, descending, kind), (sort, limit)


async def test_posting_and_recommendation_sorts_with_nulls_and_ties(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    rng = random.Random(5)
    post_id = (await create(client, keys, "/api/v1/posts", post()))["id"]
    postings = []
    for start in some_dates(rng, 17):
        end = None if start is None else (date.fromisoformat(start) + timedelta(days=rng.choice([0, 365])))
        body = posting(post_id, tour_start=start, tour_end=end.isoformat() if end else None)
        postings.append(await create(client, keys, "/api/v1/postings", body))
    recommendations = []
    for target in some_dates(rng, 17):
        recommendations.append(
            await create(client, keys, "/api/v1/recommendations", recommendation(target_date=target))
        )
    cases = [("/api/v1/postings", postings, f) for f in ("tour_start", "tour_end")]
    cases.append(("/api/v1/recommendations", recommendations, "target_date"))
    for url, rows, field in cases:
        for descending in (False, True):
            sort = ("-" if descending else "") + field
            for limit in (1, 3, 5):
                got = await walk(client, keys, url, sort, limit)
                assert got == expected_order(rows, field, descending, str), (url, sort, limit)


async def test_sort_is_an_enum_of_each_field_and_its_descending(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for name in COLLECTIONS:
        params = spec["paths"][f"/api/v1/{name}"]["get"]["parameters"]
        sort = next(p for p in params if p["name"] == "sort")
        ref = next(s["$ref"] for s in sort["schema"]["anyOf"] if "$ref" in s)
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        values = schema["enum"]
        fields = values[::2]
        assert values[1::2] == [f"-{f}" for f in fields], name
        assert len(schema["x-enum-varnames"]) == len(values)
    activities = spec["components"]["schemas"]["ActivitiesSort"]["enum"]
    assert {"start_date", "-end_date", "estimated_cost"} <= set(activities)
    assert {"tour_start", "-tour_end"} <= set(spec["components"]["schemas"]["PostingsSort"]["enum"])
    assert "-target_date" in spec["components"]["schemas"]["RecommendationsSort"]["enum"]


@pytest.mark.parametrize("sort", ["description", "-currency", "--title", "", "title ", "TITLE"])
async def test_a_bad_sort_is_422(client: httpx.AsyncClient, keys: Keys, sort: str) -> None:
    problem(await client.get("/api/v1/activities", params={"sort": sort}, headers=keys["reader"]), 422)
