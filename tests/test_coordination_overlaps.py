"""GET /api/v1/coordination/overlaps and marking pairs: every pair of a small world, exactly."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination import overlaps
from service.coordination.pair_cursor import NIL
from service.coordination.tuning import analytic
from service.models import AuditEntry, OverlapMark
from service.schemas.types import COUNTRY_CODES
from tests.conftest import Keys
from tests.support.problems import problem
from tests.test_coordination_world import add_activity, add_post, partner

URL = "/api/v1/coordination/overlaps"
D = date


class World(dict[str, uuid.UUID]):
    """Activity ids by name, and the pairs the view must find: (x, y) -> (countries, reasons)."""

    pairs: dict[tuple[str, str], tuple[list[str], list[dict[str, Any]]]]

    def pair(self, x: str, y: str) -> dict[str, Any]:
        countries, reasons = self.pairs[(x, y)]
        a, b = sorted([self[x], self[y]])
        return {
            "activity_ids": [str(a), str(b)],
            "countries": countries,
            "score": len(reasons),
            "reasons": reasons,
            "status": "open",
        }

    def listing(self, names: list[tuple[str, str]], scope: set[str] | None = None) -> list[dict[str, Any]]:
        """The pairs in the view's order: best score first, then (first shared country in scope,
        lower id, higher id)."""
        items = [self.pair(x, y) for x, y in names]
        return sorted(
            items,
            key=lambda p: (
                -p["score"],
                min(set(p["countries"]) & (scope or set(p["countries"]))),
                *p["activity_ids"],
            ),
        )


@pytest.fixture(autouse=True)
def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages here are full: the time budget (which may cut a page short) cannot run out."""
    monkeypatch.setattr(overlaps, "BUDGET_SECONDS", 60.0)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    post = await add_post(session, "MX", "Manzanillo")
    sat, naval = partner("SAT", "MX"), partner("Naval", "GT", "maritime")
    w = World()
    w["A1"] = await add_activity(
        session, "CBP", ["MX"], start_date=D(2024, 1, 1), end_date=D(2024, 12, 31),
        foreign_partners=[sat], post_ids=[post], strategic_goal_codes=["QHSR23-M2"],
    )  # fmt: skip
    w["A2"] = await add_activity(
        session, "ICE", ["MX"], start_date=D(2024, 6, 1),  # open-ended
        foreign_partners=[{**sat, "partner_type": "law_enforcement"}],  # same partner: type is not compared
        post_ids=[post], strategic_goal_codes=["QHSR23-M2"],
    )  # fmt: skip
    w["A3"] = await add_activity(
        session,
        "USCG",
        ["MX", "GT"],
        activity_type="maritime_security",
        status="suspended",
        foreign_partners=[naval],
        strategic_goal_codes=["QHSR23-M1"],
    )  # fmt: skip  (no dates: runs forever)
    w["A4"] = await add_activity(
        session, "CBP", ["GT"], activity_type="maritime_security", status="planned",
        start_date=D(2025, 1, 1), end_date=D(2025, 12, 31),
        foreign_partners=[naval], strategic_goal_codes=["QHSR23-M1"],
    )  # fmt: skip
    w["A5"] = await add_activity(  # ends the day A1 starts: still overlaps A1
        session,
        "TSA",
        ["MX"],
        activity_type="aviation_security",
        start_date=D(2023, 1, 1),
        end_date=D(2024, 1, 1),
    )
    w["A6"] = await add_activity(  # same lead as A1; over before A2 starts
        session, "CBP", ["MX"], activity_type="other", start_date=D(2024, 3, 1), end_date=D(2024, 4, 1)
    )
    w["A7"] = await add_activity(session, "ICE", ["MX"], status="completed")  # not live
    w["A8"] = await add_activity(session, "ICE", ["MX"], archived=True)  # not live
    w["A9"] = await add_activity(session, "ICE", ["NL"], start_date=D(2024, 1, 1))  # nobody else in NL
    w["A10"] = await add_activity(  # shares MX and GT with A3: listed once, under GT
        session,
        "ICE",
        ["GT", "MX"],
        activity_type="policy_dialogue",
        start_date=D(2030, 1, 1),
        end_date=D(2030, 12, 31),
    )
    same_type = {"kind": "same_activity_type", "values": ["maritime_security"]}
    w.pairs = {
        ("A1", "A2"): (
            ["MX"],
            [
                {"kind": "same_activity_type", "values": ["cargo_prescreening"]},
                {"kind": "shared_partner", "values": ["SAT (MX)"]},
                {"kind": "shared_post", "values": [str(post)]},
                {"kind": "shared_goal", "values": ["QHSR23-M2"]},
            ],
        ),
        ("A3", "A4"): (
            ["GT"],
            [
                same_type,
                {"kind": "shared_partner", "values": ["Naval (GT)"]},
                {"kind": "shared_goal", "values": ["QHSR23-M1"]},
            ],
        ),
        ("A1", "A3"): (["MX"], []),
        ("A1", "A5"): (["MX"], []),
        ("A2", "A3"): (["MX"], []),
        ("A3", "A5"): (["MX"], []),
        ("A3", "A6"): (["MX"], []),
        ("A3", "A10"): (["GT", "MX"], []),
    }  # fmt: skip
    await session.commit()  # a refused request rolls back to here, not past the world
    return w


async def listing(client: httpx.AsyncClient, keys: Keys, **params: Any) -> list[dict[str, Any]]:
    """Every page, following next_cursor, checking the envelope and Link header on the way."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):  # with no time budget, one request per window, country and score
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(URL, params=query, headers=keys["reader"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        items.extend(body["items"])
        cursor = body["next_cursor"]
        assert ("link" in response.headers) == (cursor is not None)
        if cursor is None:
            return items
    raise AssertionError("the listing never ended")


async def test_every_pair_exactly(client: httpx.AsyncClient, keys: Keys, world: World) -> None:
    assert await listing(client, keys) == world.listing(list(world.pairs))


async def test_pages_are_a_stable_keyset(client: httpx.AsyncClient, keys: Keys, world: World) -> None:
    paged = await listing(client, keys, limit=3)
    assert paged == world.listing(list(world.pairs))
    first = await client.get(URL, params={"limit": 3}, headers=keys["reader"])
    assert len(first.json()["items"]) == 3 and first.json()["next_cursor"]


async def test_a_spent_budget_gives_short_pages_that_still_add_up(
    client: httpx.AsyncClient, keys: Keys, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time to spare every request runs one window and stops; following next_cursor still
    lists every pair once, in order (some pages are short or empty)."""
    monkeypatch.setattr(overlaps, "BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(overlaps, "FIRST_WINDOW", 2)
    assert await listing(client, keys, limit=2) == world.listing(list(world.pairs))
    assert await listing(client, keys, country="MX", min_score=1) == world.listing([("A1", "A2")])


def order_key(pair: dict[str, Any]) -> tuple[Any, ...]:
    return (-pair["score"], min(pair["countries"]), *pair["activity_ids"])


async def test_pages_come_best_score_first_across_pages(
    client: httpx.AsyncClient, keys: Keys, world: World, session: AsyncSession
) -> None:
    """Every score from 4 to 0 present: one pair a page, the scores never rise from page to page,
    whatever country a pair is in (MX's score-4 pair comes before GT's score-3 one)."""
    naval = partner("Naval", "GT", "maritime")
    await add_activity(  # with A3 and A4: same type and partner, score 2
        session, "ICE", ["GT"], activity_type="maritime_security", foreign_partners=[naval],
        start_date=D(2025, 6, 1), end_date=D(2025, 7, 1),
    )  # fmt: skip
    await add_activity(  # with A3 and A4: a shared goal, score 1; with the one above: score 0
        session, "TSA", ["GT"], activity_type="policy_dialogue", strategic_goal_codes=["QHSR23-M1"],
        start_date=D(2025, 1, 1), end_date=D(2025, 12, 31),
    )  # fmt: skip
    await session.commit()
    paged = await listing(client, keys, limit=1)
    assert [p["score"] for p in paged] == [4, 3, 2, 2, 1, 1] + [0] * (len(paged) - 6)
    assert paged[:2] == [world.pair("A1", "A2"), world.pair("A3", "A4")]
    assert [order_key(p) for p in paged] == sorted(order_key(p) for p in paged)
    assert paged == await listing(client, keys)  # the same order whatever the page size
    assert await listing(client, keys, min_score=2, limit=1) == paged[:4]
    assert await listing(client, keys, country="GT", min_score=1, limit=2) == [
        p for p in paged if "GT" in p["countries"] and p["score"] >= 1
    ]


async def test_country_filter(client: httpx.AsyncClient, keys: Keys, world: World) -> None:
    gt = [("A3", "A4"), ("A3", "A10")]
    assert await listing(client, keys, country="GT") == world.listing(gt, {"GT"})
    mx = [p for p in world.pairs if p != ("A3", "A4")]  # A3-A10 shares MX too: listed under MX here
    assert await listing(client, keys, country="MX") == world.listing(mx, {"MX"})
    assert await listing(client, keys, country=["NL", "FR"]) == []


async def test_min_score_and_component_filters(client: httpx.AsyncClient, keys: Keys, world: World) -> None:
    assert await listing(client, keys, min_score=3) == world.listing([("A3", "A4"), ("A1", "A2")])
    assert await listing(client, keys, min_score=4) == world.listing([("A1", "A2")])
    assert await listing(client, keys, min_score=2, country="GT") == world.listing([("A3", "A4")])
    assert await listing(client, keys, component="TSA") == world.listing([("A1", "A5"), ("A3", "A5")])
    both = await listing(client, keys, component=["TSA", "ICE"], min_score=1)
    assert both == world.listing([("A1", "A2")])


async def test_bad_parameters(client: httpx.AsyncClient, keys: Keys) -> None:
    for params in (
        {"min_score": 5},
        {"min_score": -1},
        {"country": "XX"},
        {"component": "NOPE"},
        {"limit": 0},
    ):
        problem(await client.get(URL, params=params, headers=keys["reader"]), 422)
    for cursor in ("nonsense", "eyJzIjoiaWQifQ"):
        problem(await client.get(URL, params={"cursor": cursor}, headers=keys["reader"]), 400)
    problem(await client.get(URL), 401)


def mark_url(world: World, x: str, y: str) -> str:
    return f"{URL}/{world[x]}/{world[y]}"


async def test_marking_hides_a_pair_and_is_audited(
    client: httpx.AsyncClient, keys: Keys, world: World, session: AsyncSession
) -> None:
    body = {"status": "acknowledged", "note": "Both offices know; CBP leads."}
    marked = await client.put(mark_url(world, "A2", "A1"), json=body, headers=keys["admin"])  # either order
    assert marked.status_code == 200, marked.text
    assert marked.headers["etag"] == '"1"'
    low, high = sorted([world["A1"], world["A2"]])
    assert marked.json() | {"updated_at": None} == {
        "activity_ids": [str(low), str(high)],
        "status": "acknowledged",
        "note": body["note"],
        "version": 1,
        "updated_at": None,
        "updated_by": "test-admin",
    }
    rest = [p for p in world.pairs if p != ("A1", "A2")]
    assert await listing(client, keys) == world.listing(rest)
    shown = await listing(client, keys, include_marked="true")
    assert shown == [
        p | {"status": "acknowledged"} if p == world.pair("A1", "A2") else p
        for p in world.listing(list(world.pairs))
    ]

    again = await client.put(mark_url(world, "A1", "A2"), json=body, headers=keys["admin"])
    assert again.json()["version"] == 1  # nothing changed, nothing written
    later = {"status": "deconflicted", "note": "ICE hands its part to CBP."}
    changed = await client.put(
        mark_url(world, "A1", "A2"), json=later, headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = await client.put(
        mark_url(world, "A1", "A2"), json=body, headers={**keys["admin"], "If-Match": '"1"'}
    )
    problem(stale, 412)

    history = await client.get(mark_url(world, "A2", "A1") + "/history", headers=keys["reader"])
    assert [(e["action"], e["version"], e["changes"]) for e in history.json()["items"]] == [
        ("create", 1, {
            "activity_ids": {"before": None, "after": [str(low), str(high)]},
            "status": {"before": None, "after": "acknowledged"},
            "note": {"before": None, "after": body["note"]},
        }),
        ("update", 2, {
            "status": {"before": "acknowledged", "after": "deconflicted"},
            "note": {"before": body["note"], "after": later["note"]},
        }),
    ]  # fmt: skip
    audit = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.resource == "overlaps")
    )
    assert audit == 2

    reopened = await client.put(
        mark_url(world, "A1", "A2"), json={"status": "open", "note": "Reopened."}, headers=keys["admin"]
    )
    assert reopened.json()["version"] == 3
    assert await listing(client, keys) == world.listing(list(world.pairs))  # an `open` mark hides nothing


async def test_only_admins_mark_and_bad_marks_write_nothing(
    client: httpx.AsyncClient, keys: Keys, world: World, session: AsyncSession
) -> None:
    body = {"status": "deconflicted", "note": "Done."}
    for role in ("cbp", "ice", "reader"):
        problem(await client.put(mark_url(world, "A1", "A2"), json=body, headers=keys[role]), 403)
    problem(await client.put(mark_url(world, "A1", "A2"), json=body), 401)
    problem(await client.put(mark_url(world, "A1", "A6"), json=body, headers=keys["admin"]), 409)  # same lead
    problem(
        await client.put(mark_url(world, "A1", "A9"), json=body, headers=keys["admin"]), 409
    )  # no country
    problem(await client.put(mark_url(world, "A1", "A7"), json=body, headers=keys["admin"]), 409)  # not live
    problem(await client.put(f"{URL}/{world['A1']}/{uuid.uuid4()}", json=body, headers=keys["admin"]), 404)
    problem(await client.put(mark_url(world, "A1", "A1"), json=body, headers=keys["admin"]), 422)
    for bad in (
        {"status": "resolved", "note": "x"},
        {"status": "acknowledged"},
        {"status": "acknowledged", "note": ""},
        {"status": "acknowledged", "note": "x", "version": 3},
    ):
        problem(await client.put(mark_url(world, "A1", "A2"), json=bad, headers=keys["admin"]), 422)
    assert await session.scalar(select(func.count()).select_from(OverlapMark)) == 0
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.resource == "overlaps")
    assert await session.scalar(audited) == 0


PLAN_WORLD = """
INSERT INTO activities (id, identifier, title, activity_type, status, lead_component, countries, start_date,
                        sensitivity, created_by, updated_by)
SELECT gen_random_uuid(), 'PLAN-' || g, 'Plan activity ' || g, 'other',
       (ARRAY['active', 'completed'])[1 + g % 2], (ARRAY['CBP', 'ICE', 'USCG'])[1 + g % 3],
       ARRAY[(CAST(:codes AS varchar[]))[1 + g % 100]], date '2024-01-01' + g % 300, 'public', 'test', 'test'
FROM generate_series(1, 10000) AS g
"""


async def test_one_country_is_read_through_its_index_not_a_scan(session: AsyncSession) -> None:
    """The plan the view relies on, at a size where the planner has a real choice (10,000 activities
    over 100 countries): one country's live activities come from the per-country rows kept by the
    triggers of migration 0004 (the window of a's through the partial index, in id order; the b's
    the same way or, for a country this small, a bitmap scan of its rows), and nothing reads the
    whole activities table."""
    await session.execute(text(PLAN_WORLD), {"codes": sorted(COUNTRY_CODES)[:100]})
    for table in ("activities", "coordination.activity_countries", "coordination.activity_partners"):
        await session.execute(text(f"ANALYZE {table}"))
    flt = overlaps.OverlapFilter(
        countries=["BE"], components=[], min_score=2, include_marked=False, markings=["public"], editor=None
    )
    params = {"country": "BE", "scope": ["BE"], "level": 2, "after_a": NIL, "after_b": NIL}
    params |= {"markings": ["public"], "editor": None}
    params |= {"window": 8, "need": 51}
    await analytic(session)
    plan = "\n".join((await session.execute(text("EXPLAIN " + overlaps.pairs_sql(flt, 2)), params)).scalars())
    assert "Seq Scan on activit" not in plan, plan
    assert "Index Only Scan using ix_activity_countries_live" in plan, plan  # the window of a's, in id order
    countries = "\n".join(
        (await session.execute(text("EXPLAIN " + overlaps.LIVE_COUNTRIES), {"codes": ["BE", "FR"]})).scalars()
    )
    assert "Index Only Scan using ix_activity_countries_live" in countries, countries
