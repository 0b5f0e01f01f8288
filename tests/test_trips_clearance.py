"""Trips under clearance with row-level security on (the service's own engine, as `oia_service`, over a
committed database): an LES trip is invisible to a public reader on every path that could name it,
counted in the views all the same, and hidden by PostgreSQL alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.config import Settings
from service.db import make_engine, make_read_sessionmaker, make_sessionmaker, normalize_url
from service.main import create_app
from tests.factories import activity, trip
from tests.support.database import fresh_database_async
from tests.support.problems import problem
from tests.test_clearance_matrix import make_keys

MARK = "9c1e"  # in every secret string, so a leak is easy to find
PY = "PY"


@dataclass
class World:
    client: httpx.AsyncClient
    engine: AsyncEngine
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


async def populate(world: World) -> None:
    admin = world.headers["admin"]

    async def create(path: str, body: dict[str, Any]) -> str:
        response = await world.client.post(f"/api/v1/{path}", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    soon = {
        "depart_on": str(date.today() + timedelta(days=20)),
        "return_on": str(date.today() + timedelta(days=25)),
        "clearance_status": "not_requested",
        "clearance_requested_on": None,
    }
    partner = {"name": f"Hidden Unit {MARK}", "country": PY, "partner_type": "law_enforcement"}
    world.ids["les_activity"] = await create(
        "activities",
        activity(lead_component="ICE", countries=[PY], foreign_partners=[partner], sensitivity="les"),
    )
    world.ids["public_activity"] = await create("activities", activity(countries=[PY]))
    world.ids["les"] = await create(
        "trips",
        trip(
            reference=f"SECRET-TRIP-{MARK}", purpose=f"Meeting {MARK}", component="ICE", countries=[PY],
            activity_ids=[world.ids["les_activity"]], sensitivity="les", travelers=7, **soon,
        ),
    )  # fmt: skip
    world.ids["public"] = await create(
        "trips",
        trip(
            component="CBP", countries=[PY], sensitivity="public", travelers=2, **soon,
            activity_ids=[world.ids["les_activity"], world.ids["public_activity"]],
        ),
    )  # fmt: skip


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with fresh_database_async("oia_tripsec") as url:
        settings = Settings(database_url=url, auth_cache_seconds=0)
        engine = make_engine(normalize_url(url), settings)  # as the service runs: role + reader
        app = create_app(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            made = World(client=client, engine=engine, headers=await make_keys(url))
            await populate(made)
            yield made
        await engine.dispose()


async def test_a_public_reader_learns_nothing_of_the_les_trip(world: World) -> None:
    les = world.ids["les"]
    problem(await world.client.get(f"/api/v1/trips/{les}", headers=world.headers["public"]), 404)
    problem(await world.client.get(f"/api/v1/trips/{les}/history", headers=world.headers["public"]), 404)
    for path in (
        "/api/v1/trips?limit=200",
        f"/api/v1/trips?country={PY}&late_clearance=true",
        "/api/v1/trips/export?format=ndjson",
        "/api/v1/trips/export?format=csv",
        "/api/v1/changes?resource=trips&limit=200",
        "/api/v1/deadlines?within_days=3650&limit=200",
        f"/api/v1/coordination/trip-overlaps?country={PY}",
        f"/api/v1/trips/{world.ids['public']}",
        f"/api/v1/countries/{PY}",
        "/api/v1/footprint",
    ):
        response = await world.client.get(path, headers=world.headers["public"])
        assert response.status_code == 200, (path, response.text)
        for secret in (les, world.ids["les_activity"], MARK):
            assert secret not in response.text, (path, secret)
    # The public trip still shows its public link.
    shown = await world.client.get(f"/api/v1/trips/{world.ids['public']}", headers=world.headers["public"])
    assert shown.json()["activity_ids"] == [world.ids["public_activity"]]


@pytest.mark.parametrize(
    ("reader", "sees"),
    [
        ("public", False),
        ("sbu", False),
        ("cbp_sbu", False),
        ("ice_public", True),
        ("les", True),
        ("admin", True),
    ],
)
async def test_the_matrix_of_readers(world: World, reader: str, sees: bool) -> None:
    headers = world.headers[reader]
    got = await world.client.get(f"/api/v1/trips/{world.ids['les']}", headers=headers)
    assert got.status_code == (200 if sees else 404)
    deadlines = await world.client.get("/api/v1/deadlines?kind=trip_clearance", headers=headers)
    assert (world.ids["les"] in deadlines.text) is sees
    overlaps = await world.client.get(f"/api/v1/coordination/trip-overlaps?country={PY}", headers=headers)
    assert (world.ids["les"] in overlaps.text) is sees  # paired with the public trip


async def test_counts_count_every_trip_for_everyone(world: World) -> None:
    public, les = world.headers["public"], world.headers["les"]
    for path in (f"/api/v1/countries/{PY}", "/api/v1/footprint"):
        seen_public = (await world.client.get(path, headers=public)).json()
        seen_les = (await world.client.get(path, headers=les)).json()
        if path == "/api/v1/footprint":
            assert seen_public == seen_les and seen_public["travelers_abroad"] == 0  # none under way today
        else:
            assert (
                seen_public["trips"]
                == seen_les["trips"]
                == [
                    {"component": "CBP", "count": 1, "travelers": 2},
                    {"component": "ICE", "count": 1, "travelers": 7},
                ]
            )


async def test_postgresql_alone_hides_the_trip_from_the_service_role(world: World) -> None:
    async with world.engine.connect() as conn:
        await conn.execute(text("SELECT set_config('oia.clearance', '0', false)"))
        await conn.execute(text("SELECT set_config('oia.editor_component', '', false)"))
        hidden = "SELECT count(*) FROM trips WHERE reference LIKE '%' || :mark || '%'"
        assert await conn.scalar(text(hidden), {"mark": MARK}) == 0
        assert await conn.scalar(text("SELECT count(*) FROM coordination.all_trips")) == 2  # counts see all
        await conn.execute(text("SELECT set_config('oia.editor_component', 'ICE', false)"))
        assert await conn.scalar(text(hidden), {"mark": MARK}) == 1
        await conn.rollback()
