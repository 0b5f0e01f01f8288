"""The audit trail: append-only for everyone, one row per write, with who, when and what changed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry
from tests.conftest import Keys
from tests.factories import post


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_log SET actor_name = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
async def test_audit_log_refuses_changes(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, sql: str
) -> None:
    await client.post("/api/v1/posts", json=post(), headers=keys["admin"])
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(sql))


async def test_audit_row_names_actor_request_and_changes(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    made = await client.post(
        "/api/v1/posts",
        json=post(city="Lima", country="PE"),
        headers={**keys["admin"], "X-Request-ID": "req-42"},
    )
    record = made.json()
    await client.patch(
        f"/api/v1/posts/{record['id']}", json={"city": "Cusco"}, headers={**keys["admin"], "If-Match": '"1"'}
    )
    rows = (
        (
            await session.execute(
                select(AuditEntry).where(AuditEntry.record_id == record["id"]).order_by(AuditEntry.seq)
            )
        )
        .scalars()
        .all()
    )
    assert [(r.resource, r.action, r.version) for r in rows] == [
        ("posts", "create", 1),
        ("posts", "update", 2),
    ]
    assert rows[0].key_id == keys.ids["admin"] and rows[0].actor_name == "test-admin"
    assert rows[0].request_id == "req-42"
    assert rows[1].changes == {"city": {"before": "Lima", "after": "Cusco"}}


async def test_component_and_goal_writes_are_audited(client: httpx.AsyncClient, keys: Keys) -> None:
    await client.post("/api/v1/components", json={"code": "AUD", "name": "Audited"}, headers=keys["admin"])
    await client.patch(
        "/api/v1/strategic-goals/QHSR23-M6",
        json={"title": "Combat exploitation"},
        headers={**keys["admin"], "If-Match": '"1"'},
    )
    component = (await client.get("/api/v1/components/AUD/history", headers=keys["reader"])).json()
    goal = (await client.get("/api/v1/strategic-goals/QHSR23-M6/history", headers=keys["reader"])).json()
    assert [h["action"] for h in component["items"]] == ["create"]
    assert [h["action"] for h in goal["items"]] == ["update"]
    missing = await client.get("/api/v1/components/NOPE/history", headers=keys["reader"])
    assert missing.status_code == 404
