"""Who may read what, end to end, with row-level security on: the service's own engine (acting as
the `oia_service` role, the reader's clearance set on every connection) over a committed database.

A world holds LES records of ICE (an activity in PY with a secret partner, a posting, an activity made
LES after it was public), an SBU and a public activity beside them, and a recommendation linking the
LES ones. Every read path is asked by a public-cleared reader; no answer may carry the LES records'
ids, titles, identifiers, partners or position number. Then the other cells of the matrix: SBU and
LES readers, the owner's editor (sees its own whatever the marking), and PostgreSQL alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.config import Settings
from service.db import make_engine, make_read_sessionmaker, make_sessionmaker, normalize_url
from service.main import create_app
from service.ops.keys import create_key
from service.schemas.vocab import Role, Sensitivity
from tests.factories import activity, post, posting, recommendation
from tests.support.database import fresh_database_async
from tests.support.problems import problem

MARK = "7f3a"  # in every secret string, so a leak is easy to find
PY = "PY"


@dataclass
class World:
    client: httpx.AsyncClient
    engine: AsyncEngine
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


PRINCIPALS = {
    # label: (role, component, clearance)
    "admin": (Role.admin, None, Sensitivity.les),
    "public": (Role.reader, None, Sensitivity.public),
    "sbu": (Role.reader, None, Sensitivity.sbu),
    "les": (Role.reader, None, Sensitivity.les),
    "ice_public": (Role.editor, "ICE", Sensitivity.public),  # the owner's editor, lowest clearance
    "cbp_sbu": (Role.editor, "CBP", Sensitivity.sbu),
}


async def make_keys(url: str) -> dict[str, dict[str, str]]:
    setup = create_async_engine(url)  # the migrating login role: keys are made by operators
    headers = {}
    try:
        async with make_sessionmaker(setup)() as session:
            for label, (role, component, clearance) in PRINCIPALS.items():
                _, key = await create_key(
                    session, name=f"m-{label}", role=role, component=component, clearance=clearance
                )
                headers[label] = {"Authorization": f"Bearer {key}"}
            await session.commit()
    finally:
        await setup.dispose()
    return headers


async def populate(world: World) -> None:
    admin = world.headers["admin"]

    async def create(path: str, body: dict[str, Any]) -> str:
        response = await world.client.post(f"/api/v1/{path}", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    partner = {"name": f"Secret Partner {MARK}", "country": PY, "partner_type": "law_enforcement"}
    dates = {"start_date": "2024-01-01", "end_date": "2030-12-31", "status": "active"}
    world.ids["post"] = await create("posts", post(country=PY, city="Asuncion"))
    world.ids["les"] = await create(
        "activities",
        activity(
            identifier=f"SECRET-ACT-{MARK}",
            title=f"Operation Nightjar {MARK}",
            lead_component="ICE",
            countries=[PY],
            foreign_partners=[partner],
            sensitivity="les",
            activity_type="investigation",
            **dates,
        ),
    )
    world.ids["public"] = await create("activities", activity(countries=[PY], lead_component="CBP", **dates))
    world.ids["sbu"] = await create("activities", activity(countries=[PY], sensitivity="sbu", **dates))
    world.ids["posting"] = await create(
        "postings",
        posting(
            world.ids["post"],
            component="ICE",
            position_number=f"SECRET-POS-{MARK}",
            sensitivity="les",
            activity_ids=[world.ids["les"], world.ids["public"]],
            status="filled",
        ),
    )
    world.ids["recommendation"] = await create(
        "recommendations",
        recommendation(
            activity_ids=[world.ids["les"], world.ids["public"]], posting_ids=[world.ids["posting"]]
        ),
    )
    # Public first (a public reader may know its id), then made LES under a secret title.
    world.ids["withdrawn"] = await create("activities", activity(countries=[PY], lead_component="ICE"))
    response = await world.client.patch(
        f"/api/v1/activities/{world.ids['withdrawn']}",
        json={"sensitivity": "les", "title": f"Renamed {MARK}"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    world.secrets = [world.ids["les"], world.ids["posting"], MARK]


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with fresh_database_async("oia_clear") as url:
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


def read_paths(ids: dict[str, str]) -> list[str]:
    """Every read path that could name a record, asked as broadly as it allows."""
    les, posting = ids["les"], ids["posting"]
    return [
        f"/api/v1/activities/{les}",
        f"/api/v1/activities/{les}/history",
        f"/api/v1/postings/{posting}",
        f"/api/v1/postings/{posting}/history",
        "/api/v1/activities?limit=200",
        f"/api/v1/activities?country={PY}&limit=200",
        f"/api/v1/activities?partner_country={PY}&include_archived=true",
        "/api/v1/activities?sort=title&limit=200",
        "/api/v1/activities?q=nightjar",
        f"/api/v1/activities?q=operation%20or%20{MARK}",
        "/api/v1/activities?q=operation&sort=-updated_at",
        "/api/v1/postings?limit=200",
        f"/api/v1/postings?country={PY}",
        "/api/v1/activities/export?format=csv",
        "/api/v1/activities/export?format=ndjson&q=nightjar",
        "/api/v1/postings/export?format=ndjson",
        "/api/v1/recommendations/export?format=csv",
        f"/api/v1/recommendations/{ids['recommendation']}",
        "/api/v1/recommendations",
        "/api/v1/changes?limit=200",
        f"/api/v1/countries/{PY}",
        f"/api/v1/coordination/overlaps?country={PY}",
        "/api/v1/coordination/overlaps?limit=200&include_marked=true",
        "/api/v1/strategic-goals/coverage",
        "/api/v1/footprint",
        "/api/v1/recommendations/summary",
    ]


async def test_a_public_reader_learns_nothing_of_the_les_records(world: World) -> None:
    for path in read_paths(world.ids):
        response = await world.client.get(path, headers=world.headers["public"])
        assert response.status_code in (200, 404), (path, response.text)
        body = response.text
        for asked in world.secrets:  # a 404 repeats the id the caller asked for: that tells nothing
            if asked in path:
                body = body.replace(asked, "")
        for secret in world.secrets:
            assert secret not in body, (path, secret, body[:500])


async def test_an_invisible_record_is_the_same_404_as_one_that_never_existed(world: World) -> None:
    never = "01000000-0000-7000-8000-000000000000"
    for what, key in (("activities", "les"), ("postings", "posting")):
        seen = await world.client.get(f"/api/v1/{what}/{world.ids[key]}", headers=world.headers["public"])
        unknown = await world.client.get(f"/api/v1/{what}/{never}", headers=world.headers["public"])
        assert problem(seen, 404)["detail"].replace(world.ids[key], "X") == problem(unknown, 404)[
            "detail"
        ].replace(never, "X")


async def test_writes_to_an_invisible_record_are_404_and_conflicts_name_nothing(world: World) -> None:
    url = f"/api/v1/activities/{world.ids['les']}"
    cbp = world.headers["cbp_sbu"]
    problem(await world.client.patch(url, json={"title": "x"}, headers={**cbp, "If-Match": '"1"'}), 404)
    problem(await world.client.delete(url, headers={**cbp, "If-Match": '"1"'}), 404)
    taken = activity(identifier=f"SECRET-ACT-{MARK}", lead_component="CBP")
    conflict = await world.client.post("/api/v1/activities", json=taken, headers=cbp)
    body = problem(conflict, 409)
    assert world.ids["les"] not in conflict.text and "Nightjar" not in conflict.text, body
    # A link to a record the writer cannot see is a link to nothing.
    linked = activity(lead_component="CBP")
    bad_posting = posting(world.ids["post"], component="CBP", activity_ids=[world.ids["les"]])
    problem(await world.client.post("/api/v1/postings", json=bad_posting, headers=cbp), 422)
    assert (await world.client.post("/api/v1/activities", json=linked, headers=cbp)).status_code == 201


async def test_a_write_may_not_mark_above_the_writers_clearance(world: World) -> None:
    response = await world.client.post(
        "/api/v1/activities", json=activity(sensitivity="les"), headers=world.headers["cbp_sbu"]
    )
    assert problem(response, 422)["errors"][0]["loc"] == ["body", "sensitivity"]


async def test_the_change_feed_withdraws_what_leaves_the_view(world: World) -> None:
    feed = (await world.client.get("/api/v1/changes?limit=200", headers=world.headers["public"])).json()
    withdrawn = [i for i in feed["items"] if i["id"] == world.ids["withdrawn"]]
    assert [i["action"] for i in withdrawn] == ["create", "withdrawn"]
    cleared = (await world.client.get("/api/v1/changes?limit=200", headers=world.headers["les"])).json()
    assert [i["action"] for i in cleared["items"] if i["id"] == world.ids["withdrawn"]] == [
        "create",
        "update",
    ]
    assert any(i["id"] == world.ids["les"] for i in cleared["items"])


async def test_counts_count_everything_for_everyone(world: World) -> None:
    public, les = world.headers["public"], world.headers["les"]
    for path in ("/api/v1/footprint", f"/api/v1/countries/{PY}", "/api/v1/strategic-goals/coverage"):
        seen_public = (await world.client.get(path, headers=public)).json()
        seen_les = (await world.client.get(path, headers=les)).json()
        if path.endswith("coverage"):
            assert seen_public["unaligned"]["count"] == seen_les["unaligned"]["count"]
            assert len(seen_public["unaligned"]["items"]) < len(seen_les["unaligned"]["items"])
        elif path.endswith(PY):
            assert seen_public["activities"] == seen_les["activities"]
            assert seen_public["postings"] == seen_les["postings"]
            assert len(seen_public["foreign_partners"]) < len(seen_les["foreign_partners"])
        else:
            assert seen_public == seen_les


@pytest.mark.parametrize(
    ("reader", "sees_les"),
    [
        ("public", False),
        ("sbu", False),
        ("les", True),
        ("ice_public", True),
        ("cbp_sbu", False),
        ("admin", True),
    ],
)
async def test_the_matrix_of_readers(world: World, reader: str, sees_les: bool) -> None:
    headers = world.headers[reader]
    sbu_visible = reader != "public" and reader != "ice_public"
    expect = {"les": sees_les, "sbu": sbu_visible, "public": True}
    listed = (await world.client.get(f"/api/v1/activities?country={PY}&limit=200", headers=headers)).json()
    listed_ids = {item["id"] for item in listed["items"]}
    for key, visible in expect.items():
        got = await world.client.get(f"/api/v1/activities/{world.ids[key]}", headers=headers)
        assert got.status_code == (200 if visible else 404), (reader, key)
        assert (world.ids[key] in listed_ids) is visible, (reader, key)
    recommendation = await world.client.get(
        f"/api/v1/recommendations/{world.ids['recommendation']}", headers=headers
    )
    assert (world.ids["les"] in recommendation.json()["activity_ids"]) is sees_les
    assert world.ids["public"] in recommendation.json()["activity_ids"]
    overlaps = await world.client.get(f"/api/v1/coordination/overlaps?country={PY}", headers=headers)
    assert (world.ids["les"] in overlaps.text) is sees_les


async def test_the_dashboard_shows_the_same_as_the_api(world: World) -> None:
    key = world.headers["public"]["Authorization"].removeprefix("Bearer ")
    signed = await world.client.post("/dashboard/login", data={"key": key})
    assert signed.status_code == 303
    cookie = {"Cookie": signed.headers["set-cookie"].split(";")[0]}
    for page in (f"/dashboard/countries/{PY}", f"/dashboard/overlaps?country={PY}", "/dashboard/coverage"):
        response = await world.client.get(page, headers=cookie)
        assert response.status_code == 200, page
        for secret in world.secrets:
            assert secret not in response.text, (page, secret)


async def test_postgresql_alone_hides_them_from_the_service_role(world: World) -> None:
    """The backstop: as the service's role, with a public reader's settings, the LES rows are not
    there for any query, whatever the query forgets."""
    async with world.engine.connect() as conn:
        role = (
            await conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        assert tuple(role) == (False, False)
        await conn.execute(text("SELECT set_config('oia.clearance', '0', false)"))
        await conn.execute(text("SELECT set_config('oia.editor_component', '', false)"))
        hidden = "SELECT count(*) FROM {} WHERE {} LIKE '%' || :mark || '%'"
        for table, column in (("activities", "identifier"), ("postings", "position_number")):
            assert await conn.scalar(text(hidden.format(table, column)), {"mark": MARK}) == 0
        history = "SELECT count(*) FROM audit_log WHERE record_id = :id"
        assert await conn.scalar(text(history), {"id": world.ids["les"]}) == 0
        await conn.execute(text("SELECT set_config('oia.clearance', '2', false)"))
        assert await conn.scalar(text(hidden.format("activities", "identifier")), {"mark": MARK}) == 1
        await conn.rollback()
