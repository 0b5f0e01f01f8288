"""GET /api/v1/coordination/trip-overlaps: two components' trips in one country at once that share an
activity or a partner; filters, paging, and clearance."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.coordination.trip_overlaps import trip_overlap_page
from service.schemas.vocab import Role, Sensitivity
from tests.conftest import Keys
from tests.factories import activity, trip
from tests.support.problems import problem

URL = "/api/v1/coordination/trip-overlaps"
SAT = {"name": "SAT", "country": "MX", "partner_type": "customs"}
POLICE = {"name": "Policía Federal", "country": "MX", "partner_type": "law_enforcement"}
SECRET = {"name": "Unidad Especial", "country": "MX", "partner_type": "law_enforcement"}


class World(dict[str, str]):
    """Ids by name, and the caller's today."""

    today: date

    def span(self, start: int, end: int) -> dict[str, str]:
        return {
            "depart_on": str(self.today + timedelta(days=start)),
            "return_on": str(self.today + timedelta(days=end)),
        }


@pytest.fixture
async def world(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> World:
    w = World()
    w.today = await session.scalar(select(func.current_date()))  # type: ignore[assignment]

    async def make(name: str, collection: str, body: dict[str, Any]) -> None:
        created = await client.post(f"/api/v1/{collection}", json=body, headers=keys["admin"])
        assert created.status_code == 201, created.text
        w[name] = created.json()["id"]

    await make("A1", "activities", activity(lead_component="CBP", foreign_partners=[SAT]))
    await make("A2", "activities", activity(lead_component="ICE", foreign_partners=[SAT]))
    await make("A3", "activities", activity(lead_component="ICE", foreign_partners=[POLICE]))
    await make(
        "LES", "activities", activity(lead_component="ICE", foreign_partners=[SECRET], sensitivity="les")
    )
    public = {"sensitivity": "public"}
    for name, component, countries, span, acts, extra in (
        ("T1", "CBP", ["MX"], (10, 15), ["A1"], {}),
        ("T2", "ICE", ["MX"], (12, 20), ["A1"], {}),  # T1: the same activity (and so its partner)
        ("T3", "ICE", ["MX", "GT"], (14, 16), ["A2"], {}),  # T1: the same partner, through A2
        ("T4", "CBP", ["MX"], (30, 35), ["A1"], {}),  # after T2 and T3 are back
        ("T5", "ICE", ["GT"], (14, 16), ["A1"], {}),  # T1 is in MX, not GT
        ("T6", "USCG", ["MX"], (13, 13), ["A3"], {}),  # shares nothing with anyone
        ("T7", "USCG", ["MX"], (12, 20), ["A1"], {"clearance_status": "cancelled"}),
        ("T8", "USCG", ["MX"], (-10, -1), ["A1"], {}),  # over
        ("T9", "USSS", ["MX"], (12, 14), ["A1"], {"sensitivity": "les"}),
        ("T10", "CBP", ["MX"], (12, 14), ["LES"], {}),
        ("T11", "ICE", ["MX"], (12, 14), ["LES"], {}),  # T10: through an activity only LES can read
    ):
        body = trip(component=component, countries=countries, activity_ids=[w[a] for a in acts])
        await make(name, "trips", {**body, **public, **w.span(*span), **extra})
    return w


def pair(w: World, x: str, y: str, start: int, end: int, reasons: dict[str, list[str]]) -> dict[str, Any]:
    components = {"T1": "CBP", "T2": "ICE", "T3": "ICE", "T9": "USSS", "T10": "CBP", "T11": "ICE"}
    (first, a), (second, b) = sorted([(w[x], x), (w[y], y)])
    return {
        "trip_ids": [first, second],
        "components": [components[a], components[b]],
        "countries": ["MX"],
        "overlap_start": str(w.today + timedelta(days=start)),
        "overlap_end": str(w.today + timedelta(days=end)),
        "reasons": [{"kind": kind, "values": values} for kind, values in reasons.items()],
    }


async def listed(client: httpx.AsyncClient, keys: Keys, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(URL, params=params, headers=keys["reader"])
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_pairs_share_a_country_the_dates_and_an_activity_or_partner(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    assert await listed(client, keys) == [
        pair(world, "T1", "T2", 12, 15, {"shared_activity": [world["A1"]], "shared_partner": ["SAT (MX)"]}),
        pair(world, "T1", "T3", 14, 15, {"shared_partner": ["SAT (MX)"]}),
    ]


async def test_filters(client: httpx.AsyncClient, keys: Keys, world: World) -> None:
    assert len(await listed(client, keys, country="MX")) == 2
    assert await listed(client, keys, country="GT") == []  # T3 goes to GT too, but meets T1 in MX
    assert len(await listed(client, keys, component="CBP")) == 2
    assert [p["components"] for p in await listed(client, keys, component=["ICE", "USCG"])] == [
        ["CBP", "ICE"],
        ["CBP", "ICE"],
    ]
    assert await listed(client, keys, component="USCG") == []
    for params in ({"country": "mx"}, {"component": "ZZZ"}, {"limit": 0}):
        problem(await client.get(URL, params=params, headers=keys["reader"]), 422)


async def test_pages_and_a_forged_cursor(client: httpx.AsyncClient, keys: Keys, world: World) -> None:
    first = await client.get(URL, params={"limit": 1}, headers=keys["reader"])
    assert first.status_code == 200 and 'rel="next"' in first.headers["link"]
    cursor = first.json()["next_cursor"]
    second = (await client.get(URL, params={"limit": 1, "cursor": cursor}, headers=keys["reader"])).json()
    assert [p["trip_ids"] for p in first.json()["items"] + second["items"]] == [
        p["trip_ids"] for p in await listed(client, keys)
    ]
    assert second["next_cursor"] is None
    for forged in ("bm9wZQ", "eyJzIjoiZGVhZGxpbmVzIn0"):
        problem(await client.get(URL, params={"cursor": forged}, headers=keys["reader"]), 400)


async def test_clearance_hides_trips_and_the_activities_behind_a_pair(
    session: AsyncSession, world: World
) -> None:
    async def found(principal: Principal) -> set[frozenset[str]]:
        items, _ = await trip_overlap_page(session, principal, [], [], None, 50)
        names = {uuid.UUID(v): k for k, v in world.items()}
        return {frozenset(names[t] for t in item.trip_ids) for item in items}

    def who(role: Role, clearance: Sensitivity, component: str | None = None) -> Principal:
        return Principal(key_id=None, name="t", role=role, component=component, clearance=clearance)

    base = {frozenset({"T1", "T2"}), frozenset({"T1", "T3"})}
    with_t9 = {frozenset({"T1", "T9"}), frozenset({"T2", "T9"}), frozenset({"T3", "T9"})}
    assert await found(who(Role.reader, Sensitivity.sbu)) == base
    assert await found(who(Role.editor, Sensitivity.public, "USSS")) == base | with_t9  # its own trip
    assert await found(who(Role.editor, Sensitivity.public, "ICE")) == base | {frozenset({"T10", "T11"})}
    assert await found(who(Role.reader, Sensitivity.les)) == base | with_t9 | {frozenset({"T10", "T11"})}
