"""API keys with a clearance and an expiry: how operators make them, and what the API does with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from service.cli import app as cli
from service.config import get_settings
from service.models import ApiKey
from service.ops.keys import create_key
from service.schemas.vocab import Role, Sensitivity
from tests.conftest import Keys
from tests.factories import activity
from tests.support.database import fresh_database
from tests.support.problems import problem


async def test_default_clearances(keys: Keys, session: AsyncSession) -> None:
    rows = (await session.execute(select(ApiKey.name, ApiKey.clearance))).all()
    clearances = dict(rows)
    assert clearances["test-admin"] == "les"
    assert clearances["test-cbp"] == clearances["test-reader"] == "sbu"


async def test_an_expired_key_is_401(client: httpx.AsyncClient, session: AsyncSession) -> None:
    key_id, key = await create_key(session, name="short", role=Role.reader, component=None, expires_in_days=1)
    await session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/activities", headers=headers)).status_code == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=past))
    await session.commit()
    response = await client.get("/api/v1/activities", headers=headers)
    assert "expired" in problem(response, 401)["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_use_is_stamped(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    await client.get("/api/v1/activities", headers=keys["reader"])
    used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == keys.ids["reader"]))
    assert used is not None and datetime.now(UTC) - used < timedelta(minutes=1)


async def test_a_public_key_does_not_see_what_is_marked(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    _, key = await create_key(
        session, name="public", role=Role.reader, component=None, clearance=Sensitivity.public
    )
    await session.commit()
    sbu = await client.post("/api/v1/activities", json=activity(sensitivity="sbu"), headers=keys["admin"])
    url = f"/api/v1/activities/{sbu.json()['id']}"
    problem(await client.get(url, headers={"Authorization": f"Bearer {key}"}), 404)
    assert (await client.get(url, headers=keys["reader"])).status_code == 200


@pytest.fixture
def committed(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database("oia_keys") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            yield url
        finally:
            get_settings.cache_clear()


def test_cli_makes_keys_with_clearance_and_expiry(committed: str) -> None:
    runner = CliRunner()
    made = runner.invoke(
        cli,
        [
            "keys",
            "create",
            "--role",
            "reader",
            "--name",
            "sys",
            "--clearance",
            "public",
            "--expires-in",
            "0.5",
        ],
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip().splitlines()[-1].startswith("oia_")
    listed = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)
    (key,) = listed
    assert key["clearance"] == "public" and key["last_used_at"] is None
    expires = datetime.fromisoformat(key["expires_at"])
    assert timedelta(hours=11) < expires - datetime.now(UTC) < timedelta(hours=13)
    admin = runner.invoke(cli, ["keys", "create", "--role", "admin", "--name", "oia"])
    assert admin.exit_code == 0
    assert json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output)[1]["clearance"] == "les"
    refused = runner.invoke(cli, ["keys", "create", "--role", "reader", "--name", "x", "--expires-in", "-1"])
    assert refused.exit_code == 2 and "expires-in" in refused.output
