"""The per-country rows behind the coordination views (migration 0004) stay exactly in step with
`activities` through every kind of write, in the writing transaction; and the views still give the
right answers for activities too wide for the covering index."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination import overlaps
from tests.conftest import Keys
from tests.test_coordination_world import add_activity, partner

# What the rows must be, computed straight from activities (independently of the triggers' SQL).
EXPECTED_COUNTRIES = """
SELECT DISTINCT x AS country, a.id, a.status, a.activity_type, a.lead_component,
       daterange(a.start_date, a.end_date, '[]') AS span, cardinality(a.countries) AS n,
       a.countries, a.post_ids, a.strategic_goal_codes
FROM activities AS a, unnest(a.countries) AS x
WHERE a.archived_at IS NULL AND x IS NOT NULL
"""
# NULL arrays mean "too wide to copy": the view then reads them from the activity.
ACTUAL_COUNTRIES = """
SELECT s.country, s.activity_id, s.status, s.activity_type, s.lead_component, s.span, s.n_countries,
       coalesce(s.countries, a.countries), coalesce(s.post_ids, a.post_ids),
       coalesce(s.goals, a.strategic_goal_codes)
FROM coordination.activity_countries AS s JOIN activities AS a ON a.id = s.activity_id
"""
EXPECTED_PARTNERS = """
SELECT DISTINCT x AS country, p ->> 'name', p ->> 'country', p ->> 'partner_type', a.id
FROM activities AS a, unnest(a.countries) AS x, jsonb_array_elements(a.foreign_partners) AS p
WHERE a.archived_at IS NULL AND a.status IN ('planned', 'active', 'suspended')
"""
ACTUAL_PARTNERS = (
    "SELECT country, name, partner_country, partner_type, activity_id FROM coordination.activity_partners"
)


async def assert_in_step(session: AsyncSession) -> None:
    for expected, actual in ((EXPECTED_COUNTRIES, ACTUAL_COUNTRIES), (EXPECTED_PARTNERS, ACTUAL_PARTNERS)):
        for left, right in ((expected, actual), (actual, expected)):
            missing = (await session.execute(text(f"({left}) EXCEPT ALL ({right})"))).all()
            assert missing == [], (left, missing)
    # No duplicates either (EXCEPT ALL above counts them too, but say so plainly).
    dup = (
        "SELECT activity_id FROM coordination.activity_partners "
        "GROUP BY activity_id, country, name, partner_country, partner_type HAVING count(*) > 1"
    )
    assert (await session.execute(text(dup))).all() == []


async def side_versions(session: AsyncSession, activity: uuid.UUID) -> list[Any]:
    """The row versions (xmin, ctid) of one activity's per-country rows: unchanged means untouched."""
    sql = "SELECT xmin::text, ctid::text FROM coordination.activity_countries WHERE activity_id = :id"
    sql += " ORDER BY 2"
    return list((await session.execute(text(sql), {"id": activity})).all())


async def test_every_kind_of_write_keeps_the_rows_in_step(session: AsyncSession) -> None:
    sat, naval = partner("SAT", "MX"), partner("Naval", "GT", "maritime")
    one = await add_activity(session, "CBP", ["MX"], foreign_partners=[sat, sat])  # the same partner twice
    two = await add_activity(session, "ICE", ["MX", "GT"], status="planned", foreign_partners=[naval])
    three = await add_activity(session, "USCG", ["GT"], status="completed", foreign_partners=[naval])
    await assert_in_step(session)

    # Many rows in one statement (a bulk import is one COPY: one trigger call for all of them).
    await session.execute(
        text(
            "INSERT INTO activities (id, identifier, title, activity_type, status, lead_component, "
            "countries, foreign_partners, sensitivity, created_by, updated_by) "
            "SELECT gen_random_uuid(), 'SYNC-' || g, 'Sync ' || g, 'other', "
            "(ARRAY['active', 'completed', 'planned'])[1 + g % 3], 'CBP', "
            "(ARRAY['MX', 'CA', 'MX', 'GT'])[1 + g % 4 : 2 + g % 3], "
            "jsonb_build_array(jsonb_build_object('name', 'P' || g % 5, 'country', 'MX', "
            "'partner_type', 'customs')), "
            "'public', 'test', 'test' FROM generate_series(1, 200) AS g"
        )
    )
    await assert_in_step(session)

    untouched = await side_versions(session, two)
    renamed = "UPDATE activities SET title = 'renamed', version = version + 1 WHERE id = :id"
    await session.execute(text(renamed), {"id": two})
    assert await side_versions(session, two) == untouched  # no view column changed: rows left alone

    updates = [
        "UPDATE activities SET countries = ARRAY['GT', 'NL'] WHERE id = :id",  # leaves MX, joins NL
        "UPDATE activities SET status = 'completed' WHERE id = :id",  # no longer live: partners go
        "UPDATE activities SET status = 'active', foreign_partners = '[]' WHERE id = :id",
        "UPDATE activities SET archived_at = now() WHERE id = :id",  # archived: every row goes
        "UPDATE activities SET archived_at = NULL, lead_component = 'TSA', end_date = '2030-01-01' "
        "WHERE id = :id",  # restored, with another lead and end
    ]
    for sql in updates:
        for activity in (one, two, three):
            await session.execute(text(sql), {"id": activity})
            await assert_in_step(session)
    await session.execute(text("UPDATE activities SET status = 'suspended' WHERE identifier LIKE 'SYNC-%'"))
    await assert_in_step(session)
    await session.execute(text("DELETE FROM activities WHERE identifier LIKE 'SYNC-1%'"))
    await assert_in_step(session)


async def test_truncate_empties_the_rows(session: AsyncSession) -> None:
    await add_activity(session, "CBP", ["MX"], foreign_partners=[partner("SAT", "MX")])
    await session.execute(text("TRUNCATE activities CASCADE"))
    for table in ("activity_countries", "activity_partners"):
        assert (await session.scalar(text(f"SELECT count(*) FROM coordination.{table}"))) == 0


@pytest.fixture(autouse=True)
def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlaps, "BUDGET_SECONDS", 60.0)


async def test_wide_activities_are_read_from_the_table(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    """Arrays too wide for the index entry (written by SQL, past the API's limits) are left NULL in
    the per-country rows and read from the activity; a partner too long for the group index is
    counted through its own index. The views answer as for any other activity."""
    posts = [uuid.uuid4() for _ in range(120)]  # 1.9 kB of post ids: over the copy limit
    long_name = "N" * 2500
    wide = await add_activity(
        session, "CBP", ["MX", "GT"], post_ids=posts, foreign_partners=[partner(long_name, "MX")]
    )
    other = await add_activity(
        session, "ICE", ["GT", "MX"], post_ids=posts[:1], foreign_partners=[partner(long_name, "MX")]
    )
    copied = "SELECT countries IS NULL, post_ids IS NULL FROM coordination.activity_countries"
    copied += " WHERE activity_id = :id"
    assert set((await session.execute(text(copied), {"id": wide})).all()) == {(True, True)}
    fits = "SELECT DISTINCT fits FROM coordination.activity_partners WHERE activity_id = :id"
    assert (await session.scalar(text(fits), {"id": wide})) is False
    await assert_in_step(session)
    await session.commit()

    response = await client.get("/api/v1/countries/MX", headers=keys["reader"])
    assert response.status_code == 200, response.text
    assert response.json()["foreign_partners"] == [
        {"name": long_name, "country": "MX", "partner_type": "customs", "activities": 2}
    ]
    a, b = sorted([wide, other])
    for params in ({}, {"country": "MX"}, {"min_score": 3}):
        response = await client.get("/api/v1/coordination/overlaps", params=params, headers=keys["reader"])
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [(i["activity_ids"], i["countries"], i["score"]) for i in items] == [
            ([str(a), str(b)], ["GT", "MX"], 3)
        ], params
    response = await client.get(
        "/api/v1/coordination/overlaps", params={"min_score": 4}, headers=keys["reader"]
    )
    assert response.json()["items"] == []
