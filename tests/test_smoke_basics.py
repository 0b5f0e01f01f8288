"""First end-to-end checks: health, auth, one activity round trip."""

from __future__ import annotations

import httpx

from tests.conftest import Keys
from tests.factories import activity


async def test_live_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json()["status"] == "ok"
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["migration"]


async def test_activity_round_trip(client: httpx.AsyncClient, keys: Keys) -> None:
    created = await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    got = await client.get(created.headers["location"].replace("http://test", ""), headers=keys["reader"])
    assert got.status_code == 200
    assert got.json() == created.json()
