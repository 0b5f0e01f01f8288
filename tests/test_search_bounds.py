"""Search with bounded cost (issue 19, finding 2): up to SEARCH_RANK_LIMIT matches are ranked, more
come newest first (and say so); a search that runs out of its own statement timeout is a 422
"query too broad"; searches are admitted per key with 429 + Retry-After. Phrase, `or` and `-word`
keep their meaning either way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.records.search import QueryTooBroad, bounded
from service.web.admission import Gates
from tests.conftest import Keys
from tests.factories import activity
from tests.support.problems import problem

URL = "/api/v1/activities"


def tune(app: Any, **changes: Any) -> None:
    app.state.settings = app.state.settings.model_copy(update=changes)
    app.state.gates = Gates.from_settings(app.state.settings)


@pytest.fixture
async def lorem(client: httpx.AsyncClient, keys: Keys) -> list[str]:
    """Seven activities about lorem ipsum (created in id order), plus two about other things."""
    ids = []
    for n in range(7):
        body = activity(title=f"Lorem report {n}", description="lorem ipsum dolor " * (n + 1))
        created = await client.post(URL, json=body, headers=keys["admin"])
        ids.append(created.json()["id"])
    for title in ("Maritime patrol", "Customs liaison"):
        await client.post(URL, json=activity(title=title), headers=keys["admin"])
    return ids


async def walk(client: httpx.AsyncClient, keys: Keys, q: str) -> tuple[list[str], set[str]]:
    ids: list[str] = []
    orders: set[str] = set()
    cursor = None
    while True:
        params = {"q": q, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(URL, params=params, headers=keys["reader"])
        assert page.status_code == 200, page.text
        orders.add(page.headers["OIA-Search-Order"])
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return ids, orders


async def test_few_matches_are_ranked(client: httpx.AsyncClient, keys: Keys, lorem: list[str]) -> None:
    ids, orders = await walk(client, keys, "lorem ipsum")
    assert orders == {"relevance"}
    assert ids == list(reversed(lorem))  # more occurrences rank higher


async def test_too_many_matches_come_newest_first_and_say_so(
    app: Any, client: httpx.AsyncClient, keys: Keys, lorem: list[str]
) -> None:
    tune(app, search_rank_limit=3)
    ids, orders = await walk(client, keys, "lorem")
    assert orders == {"recency"}
    assert ids == list(reversed(lorem))  # every match once, newest (highest uuid7) first
    phrase, _ = await walk(client, keys, '"ipsum dolor"')
    assert set(phrase) == set(lorem)
    assert (await walk(client, keys, "lorem -ipsum"))[0] == []
    either, _ = await walk(client, keys, "maritime or dolor")
    assert len(either) == len(lorem) + 1
    few, orders = await walk(client, keys, '"report 3"')
    assert orders == {"relevance"} and few == [lorem[3]]


async def test_a_cursor_keeps_its_order_and_its_query(
    app: Any, client: httpx.AsyncClient, keys: Keys, lorem: list[str]
) -> None:
    tune(app, search_rank_limit=3)
    first = await client.get(URL, params={"q": "lorem", "limit": 2}, headers=keys["reader"])
    cursor = first.json()["next_cursor"]
    tune(app, search_rank_limit=100)  # the rest of the walk stays newest first
    second = await client.get(URL, params={"q": "lorem", "cursor": cursor}, headers=keys["reader"])
    assert second.headers["OIA-Search-Order"] == "recency"
    assert [i["id"] for i in second.json()["items"]] == list(reversed(lorem))[2:]
    problem(await client.get(URL, params={"q": "ipsum", "cursor": cursor}, headers=keys["reader"]), 400)


async def test_running_out_of_the_search_timeout_is_a_422(session: AsyncSession) -> None:
    with pytest.raises(QueryTooBroad) as raised:
        async with session.begin_nested(), bounded(session, 100):
            await session.execute(text("SELECT pg_sleep(2)"))
    assert raised.value.status == 422 and raised.value.slug == "query-too-broad"


async def test_searches_are_admitted_per_key(
    app: Any, client: httpx.AsyncClient, keys: Keys, lorem: list[str]
) -> None:
    tune(app, search_max_concurrent=1, search_per_key=1, search_queue_seconds=0)
    gate = app.state.gates.search
    held = await gate.enter(keys.ids["admin"])  # one search of the admin key is running
    try:
        busy = await client.get(URL, params={"q": "lorem"}, headers=keys["reader"])
        assert "busy" in problem(busy, 429)["detail"] and int(busy.headers["Retry-After"]) >= 1
        mine = await client.get(URL, params={"q": "lorem"}, headers=keys["admin"])
        assert "already has 1" in problem(mine, 429)["detail"]
        plain = await client.get(URL, params={"sort": "title"}, headers=keys["admin"])
        assert plain.status_code == 200  # no q: not a search
    finally:
        held.release()
    assert (await client.get(URL, params={"q": "lorem"}, headers=keys["reader"])).status_code == 200
    assert gate.in_flight == {}
