"""A list of one country's activities reads its page's ids from the per-country rows (migration
0010's ix_activity_countries_list; service.activities.repository.country_seek): every page, in both
directions and for every reader, holds exactly the rows the plain walk gives, also after edits that
move an activity between countries, statuses, components and markings, or archive it."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from service.ops.keys import create_key
from service.schemas.vocab import Role, Sensitivity
from tests.conftest import Keys
from tests.factories import activity

API = "/api/v1/activities"
# A filter that matches every row and turns the narrowing off: the plain walk, as an oracle.
PLAIN = {"updated_since": "2000-01-01T00:00:00Z"}


async def pages(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[list[str]]:
    """Every page of the list, followed by next_cursor, as lists of ids."""
    found: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": 3, **params, **({"cursor": cursor} if cursor else {})}
        answer = await client.get(API, params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def test_pages_match_the_plain_walk(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    _, public = await create_key(
        session, name="seek-public", role=Role.reader, component=None, clearance=Sensitivity.public
    )
    await session.commit()
    readers = {**keys, "public": {"Authorization": f"Bearer {public}"}}
    made: list[str] = []
    statuses = ["active", "planned", "completed", "active", "suspended"]
    for n in range(24):
        body = activity(
            countries=[["MX"], ["MX", "GT"], ["GT"], ["MX", "CA"]][n % 4],
            status=statuses[n % 5],
            activity_type=["cargo_prescreening", "investigation"][n % 2],
            lead_component="ICE" if n % 3 == 0 else "CBP",
            sensitivity=["public", "sbu", "les"][n % 3],
        )
        headers = keys["ice"] if body["lead_component"] == "ICE" else keys["admin"]
        answer = await client.post(API, json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    edits = [
        (made[0], {"countries": ["GT"]}),
        (made[2], {"countries": ["MX"], "status": "active"}),
        (made[5], {"status": "completed"}),
        (made[7], {"sensitivity": "public"}),
        (made[8], {"lead_component": "CBP"}),
    ]
    patching = {**keys["admin"], "If-Match": '"1"', "Content-Type": "application/merge-patch+json"}
    for record, patch in edits:
        answer = await client.patch(f"{API}/{record}", json=patch, headers=patching)
        assert answer.status_code == 200, answer.text
    answer = await client.delete(f"{API}/{made[4]}", headers={**keys["admin"], "If-Match": '"1"'})
    assert answer.status_code == 204, answer.text

    cases: list[dict[str, Any]] = [
        {"country": "MX"},
        {"country": "MX", "status": "active"},
        {"country": "MX", "status": ["active", "planned"], "sort": "-id"},
        {"country": "MX", "component": "ICE"},
        {"country": "GT", "type": "investigation", "sort": "id"},
        {"country": "MX", "include_archived": "true"},
        {"country": "ZW"},
    ]
    for label, headers in readers.items():
        for params in cases:
            seen = await pages(client, headers, **params)
            assert seen == await pages(client, headers, **params, **PLAIN), (label, params)
    # The narrowing found something to narrow: MX has rows for an admin, and not the archived one.
    everything = [i for page in await pages(client, keys["admin"], country="MX") for i in page]
    assert everything and made[4] not in everything and made[0] not in everything
    assert made[2] in everything


FILL = """
INSERT INTO activities (id, identifier, title, activity_type, status, lead_component, countries,
    sensitivity, created_by, updated_by)
SELECT gen_random_uuid(), 'SEEK-' || n, 'Seek ' || n, 'other',
    (ARRAY['active', 'planned', 'completed', 'suspended', 'cancelled'])[1 + n % 5], 'CBP',
    CASE WHEN n % 8 = 0 THEN ARRAY['MX'] ELSE ARRAY['CA', 'GT'] END, 'public', 'test', 'test'
FROM generate_series(1, 20000) AS n;
ANALYZE activities;
ANALYZE coordination.activity_countries
"""


def scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found += scans(child)
    return found


async def test_a_page_is_read_by_primary_key_from_the_country_rows() -> None:
    """As the service runs it (role oia_service, a reader's settings): the page's ids come from
    ix_activity_countries_list and only the page's rows are read from activities."""
    from sqlalchemy import text
    from sqlalchemy.dialects.postgresql.asyncpg import dialect
    from sqlalchemy.ext.asyncio import create_async_engine

    from service.activities.params import ActivityParams
    from service.activities.repository import store
    from service.auth import Principal
    from service.records import sql as records
    from service.records.pagination import encode_cursor, parse_sort
    from tests.support.database import fresh_database_async

    async with fresh_database_async("oia_seek") as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                for statement in FILL.split(";\n"):
                    await conn.execute(text(statement))
            async with engine.connect() as conn:
                await conn.execute(text("SET ROLE oia_service"))
                await conn.execute(text("SELECT set_config('oia.clearance', '0', false)"))
                middle = await conn.scalar(
                    text("SELECT id FROM activities WHERE countries && '{MX}' ORDER BY id OFFSET 900 LIMIT 1")
                )
                principal = Principal.system("plans")
                params = ActivityParams(country=["MX"], status=["active"])
                sort = parse_sort(None, store.spec.sort_columns(), "id")
                for cursor in (None, encode_cursor(sort, middle, middle)):
                    where = [*await store.where(conn, params), *store.visible_where(principal)]  # type: ignore[arg-type]
                    where += store.seek_where(params, principal, sort, cursor, 50)
                    columns = [store.projection.label("doc"), sort.column.label("id")]
                    stmt = records._page_statement(store.spec, columns, where, sort, cursor, 50)
                    compiled = stmt.compile(dialect=dialect(), compile_kwargs={"render_postcompile": True})
                    sql, args = str(compiled), [compiled.params[n] for n in compiled.positiontup]
                    raw = await conn.get_raw_connection()
                    driver = raw.driver_connection
                    found = await driver.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
                    plan = (found if isinstance(found, list) else json.loads(found))[0]["Plan"]
                    used = scans(plan)
                    tables = {s["Relation Name"]: s for s in used}
                    assert set(tables) == {"activities", "activity_countries"}, used
                    # Index ranges of a few pages (a fifth of MX is active), never a walk of MX's
                    # 2,500 rows, let alone of the 20,000 activities.
                    for scan in used:
                        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
                        assert scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0) <= 8 * 51, scan
                    assert tables["activities"]["Actual Rows"] == 51, used
        finally:
            await engine.dispose()
