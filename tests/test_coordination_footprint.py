"""GET /api/v1/footprint: every number of a small world, with and without filters and as_of."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Keys
from tests.support.problems import problem
from tests.test_coordination_world import add_post, add_posting

URL = "/api/v1/footprint"


@pytest.fixture
async def world(session: AsyncSession) -> None:
    city, monterrey = await add_post(session, "MX", "Mexico City"), await add_post(session, "MX", "Monterrey")
    guatemala, hague = (
        await add_post(session, "GT", "Guatemala City"),
        await add_post(session, "NL", "The Hague"),
    )
    second_in_city = await add_post(session, "MX", "Mexico City")  # a consulate in the same city
    await add_posting(session, city, "CBP", "filled", "1", (date(2024, 1, 1), date(2026, 6, 30)))
    await add_posting(session, second_in_city, "CBP", "filled", "0.5", (date(2025, 1, 1), None))
    await add_posting(session, monterrey, "ICE", "filled", "1", (None, date(2025, 6, 30)))
    await add_posting(session, guatemala, "ICE", "filled", "0.75", (date(2025, 7, 1), None))
    await add_posting(session, guatemala, "USCG", "vacant")
    await add_posting(session, guatemala, "CBP", "abolished")
    await add_posting(session, hague, "CBP", "proposed")
    await add_posting(session, city, "TSA", "filled", archived=True)  # archived: counts nowhere
    await session.commit()  # a refused request rolls back to here, not past the world


async def footprint(client: httpx.AsyncClient, keys: Keys, **params: Any) -> dict[str, Any]:
    response = await client.get(URL, params=params, headers=keys["reader"])
    assert response.status_code == 200, response.text
    return dict(response.json())


def positions(
    proposed: int = 0, approved: int = 0, filled: int = 0, vacant: int = 0, abolished: int = 0
) -> Any:
    return {
        "proposed": proposed,
        "approved": approved,
        "filled": filled,
        "vacant": vacant,
        "abolished": abolished,
    }


@pytest.mark.usefixtures("world")
async def test_whole_footprint(client: httpx.AsyncClient, keys: Keys) -> None:
    assert await footprint(client, keys) == {
        "officials": 3.25,
        "travelers_abroad": 0,
        "positions": positions(proposed=1, filled=4, vacant=1, abolished=1),
        "components": 2,
        "posts": 4,
        "cities": 3,
        "countries": 2,
        "by_component": [
            {"component": "CBP", "officials": 1.5, "positions": 4, "countries": 1},
            {"component": "ICE", "officials": 1.75, "positions": 2, "countries": 2},
            {"component": "USCG", "officials": 0.0, "positions": 1, "countries": 0},
        ],
        "by_country": [
            {"country": "GT", "officials": 0.75, "positions": 3, "components": 1, "travelers_abroad": 0},
            {"country": "MX", "officials": 2.5, "positions": 3, "components": 2, "travelers_abroad": 0},
            {"country": "NL", "officials": 0.0, "positions": 1, "components": 0, "travelers_abroad": 0},
        ],
    }


@pytest.mark.usefixtures("world")
async def test_as_of_counts_a_tour_ending_that_day(client: httpx.AsyncClient, keys: Keys) -> None:
    body = await footprint(client, keys, as_of="2025-06-30")
    assert body["officials"] == 2.5  # CBP 1 + CBP 0.5 + ICE Monterrey 1 (its tour ends that day)
    assert body["positions"] == positions(proposed=1, filled=3, vacant=1, abolished=1)
    assert (body["components"], body["posts"], body["cities"], body["countries"]) == (2, 3, 2, 1)
    next_day = await footprint(client, keys, as_of="2025-07-01")
    assert next_day["officials"] == 2.25  # Monterrey's tour is over; Guatemala's starts
    assert [(c["country"], c["officials"]) for c in next_day["by_country"]] == [
        ("GT", 0.75),
        ("MX", 1.5),
        ("NL", 0.0),
    ]
    before = await footprint(client, keys, as_of="2023-12-31")
    assert before["officials"] == 1.0 and before["positions"]["filled"] == 1  # only Monterrey (open start)


@pytest.mark.usefixtures("world")
async def test_component_and_country_filters(client: httpx.AsyncClient, keys: Keys) -> None:
    ice = await footprint(client, keys, component="ICE")
    assert (ice["officials"], ice["components"], ice["countries"], ice["cities"]) == (1.75, 1, 2, 2)
    assert [c["component"] for c in ice["by_component"]] == ["ICE"]
    both = await footprint(client, keys, component=["ICE", "USCG"], country="GT")
    assert both["officials"] == 0.75
    assert both["positions"] == positions(filled=1, vacant=1)
    assert both["by_country"] == [
        {"country": "GT", "officials": 0.75, "positions": 2, "components": 1, "travelers_abroad": 0}
    ]
    nothing = await footprint(client, keys, country="FR")
    assert nothing["officials"] == 0 and nothing["positions"] == positions()
    assert nothing["by_component"] == [] and nothing["by_country"] == []


async def test_bad_filters_are_422(client: httpx.AsyncClient, keys: Keys) -> None:
    for params in (
        {"country": "XX"},
        {"component": "NOPE"},
        {"as_of": "2025-02-30"},
        {"as_of": "1800-01-01"},
    ):
        problem(await client.get(URL, params=params, headers=keys["reader"]), 422)
    problem(await client.get(URL), 401)
