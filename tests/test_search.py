"""Full-text search: `q` on activities (title, description, tags, partner names), ranked, with a
relevance cursor; and the same machinery on recommendations (title, text)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Keys
from tests.factories import activity
from tests.support.problems import problem
from tests.test_coordination_world import add_recommendation

URL = "/api/v1/activities"


@pytest.fixture
async def found(client: httpx.AsyncClient, keys: Keys) -> dict[str, str]:
    """Four activities; the names say where the word 'container' sits (title outranks text)."""
    bodies = {
        "title": activity(
            title="Container Security Initiative, Port of Manzanillo",
            description="Screening of cargo bound for the United States.",
            tags=["csi"],
            foreign_partners=[
                {"name": "Agencia Nacional de Aduanas", "country": "MX", "partner_type": "customs"}
            ],
        ),
        "text": activity(
            title="Port security training", description="Container inspections for port officers."
        ),
        "partner": activity(
            title="Visa security liaison",
            lead_component="ICE",
            foreign_partners=[{"name": "Europol", "country": "NL", "partner_type": "international_org"}],
        ),
        "archived": activity(title="Container pilot (closed)"),
    }
    ids = {}
    for name, body in bodies.items():
        created = await client.post(URL, json=body, headers=keys["admin"])
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    archived = await client.delete(f"{URL}/{ids['archived']}", headers={**keys["admin"], "If-Match": '"1"'})
    assert archived.status_code == 204
    return ids


async def search(client: httpx.AsyncClient, keys: Keys, **params: Any) -> dict[str, Any]:
    response = await client.get(URL, params=params, headers=keys["reader"])
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


async def test_ranked_over_title_description_tags_and_partners(
    client: httpx.AsyncClient, keys: Keys, found: dict[str, str]
) -> None:
    assert ids(await search(client, keys, q="container")) == [found["title"], found["text"]]
    assert ids(await search(client, keys, q="containers", include_archived="true")) == [
        found["title"],
        found["archived"],
        found["text"],
    ]  # stemmed; two titles outrank a description (equal ranks fall back to id order)
    assert ids(await search(client, keys, q="europol")) == [found["partner"]]
    assert ids(await search(client, keys, q="aduanas")) == [found["title"]]
    assert ids(await search(client, keys, q="CSI")) == [found["title"]]
    assert ids(await search(client, keys, q='"port of manzanillo"')) == [found["title"]]
    assert ids(await search(client, keys, q="port -training")) == [found["title"]]
    assert ids(await search(client, keys, q="europol or aduanas")) == sorted(
        [found["partner"], found["title"]]
    )
    assert ids(await search(client, keys, q="container", component="ICE")) == []  # filters still apply
    assert ids(await search(client, keys, q="the")) == []  # only stop words: nothing matches


async def test_relevance_pages_follow_a_rank_cursor(
    client: httpx.AsyncClient, keys: Keys, found: dict[str, str]
) -> None:
    first = await search(client, keys, q="container", limit=1)
    assert ids(first) == [found["title"]] and first["next_cursor"]
    second = await search(client, keys, q="container", limit=1, cursor=first["next_cursor"])
    assert ids(second) == [found["text"]] and second["next_cursor"] is None
    other = await client.get(
        URL, params={"q": "port", "cursor": first["next_cursor"]}, headers=keys["reader"]
    )
    problem(other, 400)  # a cursor made for another search
    sorted_cursor = (await search(client, keys, limit=1, sort="title"))["next_cursor"]
    problem(await client.get(URL, params={"q": "port", "cursor": sorted_cursor}, headers=keys["reader"]), 400)
    problem(await client.get(URL, params={"q": "port", "cursor": "bm9wZQ"}, headers=keys["reader"]), 400)


async def test_with_a_sort_q_only_filters(
    client: httpx.AsyncClient, keys: Keys, found: dict[str, str]
) -> None:
    by_title = await search(client, keys, q="port", sort="title")
    assert ids(by_title) == [found["title"], found["text"]]  # "Container..." < "Port..."
    assert ids(await search(client, keys, q="port", sort="-title")) == [found["text"], found["title"]]


async def test_bad_queries_are_422(client: httpx.AsyncClient, keys: Keys) -> None:
    for q in ("", "x" * 201, "nul\x00byte"):
        problem(await client.get(URL, params={"q": q}, headers=keys["reader"]), 422)


async def test_recommendations_are_searchable_too(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    """Title and text of recommendations are searched the same way, best match first."""
    best = await add_recommendation(
        session, "CBP", "open_unresolved", date(2008, 6, 24), title="Interpol liaison"
    )
    other = await add_recommendation(
        session, "ICE", "open_resolved", date(2008, 6, 24), text="Share data with Interpol and Europol."
    )
    await add_recommendation(session, "USCG", "open_resolved", date(2008, 6, 24))
    url = "/api/v1/recommendations"
    page = await client.get(url, params={"q": "interpol"}, headers=keys["reader"])
    assert page.status_code == 200 and ids(page.json()) == [str(best), str(other)]
    assert "search" not in page.json()["items"][0]  # the document never leaves the database
    first = await client.get(url, params={"q": "interpol", "limit": 1}, headers=keys["reader"])
    cursor = first.json()["next_cursor"]
    rest = await client.get(
        url, params={"q": "interpol", "limit": 1, "cursor": cursor}, headers=keys["reader"]
    )
    assert ids(first.json()) + ids(rest.json()) == [str(best), str(other)]
    assert rest.json()["next_cursor"] is None
    only = await client.get(url, params={"q": "europol", "sort": "number"}, headers=keys["reader"])
    assert ids(only.json()) == [str(other)]
