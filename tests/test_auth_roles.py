"""Keys and roles: 401 without a valid key, 403 for writes a role may not make; nothing written."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.api_keys import hash_key
from service.models import Activity, ApiKey, AuditEntry
from service.ops.keys import revoke_key
from tests.conftest import Keys
from tests.factories import activity, post


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer oia_not-a-real-key"},
        {"Authorization": "Bearer " + "x" * 10_000},
    ],
)
async def test_missing_or_wrong_key_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/api/v1/activities", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


async def test_scheme_is_case_insensitive_and_reads_by_id_need_a_key(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    token = keys["reader"]["Authorization"].removeprefix("Bearer ")
    assert (
        await client.get("/api/v1/components", headers={"Authorization": f"bearer {token}"})
    ).status_code == 200
    some_id = "00000000-0000-7000-8000-000000000000"
    unauthenticated = await client.get(f"/api/v1/activities/{some_id}")
    assert unauthenticated.status_code == 401 and unauthenticated.headers["www-authenticate"].startswith(
        "Bearer"
    )
    assert (await client.get(f"/api/v1/activities/{some_id}", headers=keys["reader"])).status_code == 404


async def test_openapi_declares_the_key_on_every_api_operation(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for route, operations in schema["paths"].items():
        for operation in operations.values():
            expected = [{"HTTPBearer": []}] if route.startswith("/api/") else None
            assert operation.get("security") == expected, route


async def test_open_endpoints_need_no_key(client: httpx.AsyncClient) -> None:
    for path in ("/health/live", "/openapi.json"):
        assert (await client.get(path)).status_code == 200


async def test_revoked_key_stops_working(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    assert (await client.get("/api/v1/components", headers=keys["reader"])).status_code == 200
    assert await revoke_key(session, keys.ids["reader"])
    await session.commit()
    assert (await client.get("/api/v1/components", headers=keys["reader"])).status_code == 401


async def test_keys_are_stored_only_as_hashes(keys: Keys, session: AsyncSession) -> None:
    raw = keys["admin"]["Authorization"].removeprefix("Bearer ")
    stored = (
        await session.execute(select(ApiKey.key_hash).where(ApiKey.id == keys.ids["admin"]))
    ).scalar_one()
    assert stored == hash_key(raw) and raw not in stored
    dump = await session.scalar(text("SELECT string_agg(t::text, ' ') FROM api_keys t"))
    assert raw not in (dump or "")


async def state(session: AsyncSession) -> tuple[int, int]:
    activities = await session.scalar(select(func.count()).select_from(Activity))
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return int(activities or 0), int(audits or 0)


async def test_write_matrix_for_activities(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    """Editors write their own component's records only; readers write nothing."""
    cbp = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    url = f"/api/v1/activities/{cbp['id']}"
    before = await state(session)
    refused = [
        await client.post("/api/v1/activities", json=activity(lead_component="CBP"), headers=keys["ice"]),
        await client.post("/api/v1/activities", json=activity(), headers=keys["reader"]),
        await client.patch(url, json={"title": "x"}, headers={**keys["ice"], "If-Match": '"1"'}),
        await client.patch(url, json={"title": "x"}, headers={**keys["reader"], "If-Match": '"1"'}),
        await client.delete(url, headers={**keys["ice"], "If-Match": '"1"'}),
        # Moving a record to another component is writing that component's record.
        await client.patch(url, json={"lead_component": "ICE"}, headers={**keys["cbp"], "If-Match": '"1"'}),
        await client.post(f"{url}/restore", headers=keys["cbp"]),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    assert await state(session) == before
    moved = await client.patch(
        url, json={"lead_component": "ICE"}, headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert moved.status_code == 200


async def test_reference_data_is_admin_only(client: httpx.AsyncClient, keys: Keys) -> None:
    for headers in (keys["cbp"], keys["reader"]):
        assert (await client.post("/api/v1/posts", json=post(), headers=headers)).status_code == 403
        goal = {"code": "X-1", "framework": "F", "title": "t"}
        assert (await client.post("/api/v1/strategic-goals", json=goal, headers=headers)).status_code == 403
        comp = {"code": "NEWC", "name": "New component"}
        assert (await client.post("/api/v1/components", json=comp, headers=headers)).status_code == 403
    assert (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).status_code == 201


async def test_no_http_route_manages_keys(app: object) -> None:
    paths = [getattr(r, "path", "") for r in app.routes]  # type: ignore[attr-defined]
    assert not [p for p in paths if "key" in p.lower()]
