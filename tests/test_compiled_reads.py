"""List pages run from a cache of compiled statements (service.records.compiled): one compile per
statement shape, the values of each request bound afresh. A cached statement must never answer with
an earlier request's values, and a statement that cannot be cached still answers correctly."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity
from service.records import compiled
from tests.conftest import Keys
from tests.factories import activity

API = "/api/v1/activities"


async def test_one_list_shape_answers_each_request_with_its_own_values(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    made: dict[tuple[str, str], str] = {}
    for country in ("MX", "GT", "CA"):
        for status in ("active", "planned"):
            body = activity(countries=[country], status=status, lead_component="ICE")
            answer = await client.post(API, json=body, headers=keys["admin"])
            assert answer.status_code == 201, answer.text
            made[(country, status)] = answer.json()["id"]
    # The same filters (one shape, one compiled statement) with different values, back and forth.
    for country, status in [("MX", "active"), ("GT", "planned"), ("CA", "active"), ("MX", "planned")]:
        query = {"country": country, "status": status, "component": "ICE", "limit": 50}
        answer = await client.get(API, params=query, headers=keys["reader"])
        assert answer.status_code == 200, answer.text
        assert [item["id"] for item in answer.json()["items"]] == [made[(country, status)]]


async def test_a_statement_with_an_expanding_in_is_run_through_the_session(
    session: AsyncSession, client: httpx.AsyncClient, keys: Keys
) -> None:
    ids = []
    for country in ("MX", "GT", "CA"):
        answer = await client.post(API, json=activity(countries=[country]), headers=keys["admin"])
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["identifier"])
    table = Activity.__table__
    for wanted in (ids[:2], ids[2:]):  # an IN list's SQL depends on its length: never reused
        stmt = select(table.c.identifier.label("doc")).where(table.c.identifier.in_(wanted))
        rows = await compiled.fetch(session, stmt.order_by(table.c.identifier))
        assert [row["doc"] for row in rows] == sorted(wanted)
