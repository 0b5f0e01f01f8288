"""PUT by key against real commits, as the service runs (acting as `oia_service` under row-level
security): concurrent PUTs of one new key, a key held by a record the writer cannot see, and
Idempotency-Key for an agency token (a principal without an API key id)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.auth import token_cache
from service.config import Settings
from service.db import make_engine, make_read_sessionmaker, make_sessionmaker, normalize_url
from service.identity import OidcSettings, TokenVerifier
from service.main import create_app
from service.models import Activity, AuditEntry
from service.ops.keys import create_key
from service.schemas.vocab import Role, Sensitivity
from tests.factories import activity
from tests.support.database import fresh_database_async
from tests.support.oidc_issuer import LocalIssuer
from tests.support.problems import problem

ACT = "/api/v1/activities/by-identifier"


@dataclass
class World:
    client: httpx.AsyncClient
    url: str
    engine: AsyncEngine
    app: Any
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with fresh_database_async("oia_sync") as url:
        settings = Settings(database_url=url, auth_cache_seconds=0, db_pool_size=12)
        engine = make_engine(normalize_url(url), settings)
        app = create_app(settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.read_sessionmaker = make_read_sessionmaker(engine)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            made = World(client=client, url=url, engine=engine, app=app)
            setup = create_async_engine(url)
            async with make_sessionmaker(setup)() as session:
                for label, role, component, clearance in (
                    ("admin", Role.admin, None, Sensitivity.les),
                    ("cbp", Role.editor, "CBP", Sensitivity.sbu),
                ):
                    _, key = await create_key(
                        session, name=f"s-{label}", role=role, component=component, clearance=clearance
                    )
                    made.headers[label] = {"Authorization": f"Bearer {key}"}
                await session.commit()
            await setup.dispose()
            yield made
        await engine.dispose()


async def counts(world: World, identifier: str) -> tuple[int, int]:
    setup = create_async_engine(world.url)  # the login role: sees every row
    try:
        async with make_sessionmaker(setup)() as session:
            rows = await session.scalar(select(func.count()).where(Activity.identifier == identifier))
            ids = select(cast(Activity.id, String)).where(Activity.identifier == identifier)
            audits = await session.scalar(select(func.count()).where(AuditEntry.record_id.in_(ids)))
    finally:
        await setup.dispose()
    return int(rows or 0), int(audits or 0)


async def test_concurrent_puts_of_one_new_key_never_fail_on_the_constraint(world: World) -> None:
    for round_ in range(5):
        identifier = f"RACE-{round_}"
        bodies = [activity(identifier=identifier, title=f"Writer {n}") for n in range(6)]
        answers = await asyncio.gather(
            *(world.client.put(f"{ACT}/{identifier}", json=b, headers=world.headers["cbp"]) for b in bodies)
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409, 412}, [a.text for a in answers]
        rows, audits = await counts(world, identifier)
        assert rows == 1
        replaced = sum(1 for a in answers if a.status_code == 200 and a.headers["etag"] != '"1"')
        assert audits == 1 + replaced  # a create, then one update per replacement that changed it

    created_only = await asyncio.gather(
        *(
            world.client.put(
                f"{ACT}/ONLY-ONE",
                json=activity(identifier="ONLY-ONE"),
                headers={**world.headers["cbp"], "If-None-Match": "*"},
            )
            for _ in range(6)
        )
    )
    assert sorted(a.status_code for a in created_only) == [201, 412, 412, 412, 412, 412]


async def test_a_key_held_out_of_sight_under_row_level_security(world: World) -> None:
    secret = activity(identifier="HIDDEN-9c1e", lead_component="ICE", sensitivity="les", title="Kestrel 9c1e")
    made = await world.client.post("/api/v1/activities", json=secret, headers=world.headers["admin"])
    assert made.status_code == 201
    mine = activity(identifier="HIDDEN-9c1e", lead_component="CBP", title="Mine")
    conflict = await world.client.put(f"{ACT}/HIDDEN-9c1e", json=mine, headers=world.headers["cbp"])
    problem(conflict, 409)
    assert made.json()["id"] not in conflict.text and "9c1e" not in conflict.text.replace("HIDDEN-9c1e", "")
    assert await counts(world, "HIDDEN-9c1e") == (1, 1)  # nothing written
    problem(await world.client.get(f"{ACT}/HIDDEN-9c1e", headers=world.headers["cbp"]), 404)


async def test_idempotency_key_on_put_for_an_agency_token(world: World) -> None:
    app = world.app
    with LocalIssuer() as issuer:
        app.state.token_verifier = TokenVerifier(OidcSettings(issuer=issuer.url, refetch_interval_seconds=0))
        token_cache.clear()
        claims = issuer.claims(oia_role="editor", oia_component="CBP", azp="cbp-system", sub="svc-1")
        headers = {"Authorization": f"Bearer {issuer.mint(claims)}", "Idempotency-Key": "put-1"}
        body = activity(identifier="TOKEN-IDEM")
        first = await world.client.put(f"{ACT}/TOKEN-IDEM", json=body, headers=headers)
        assert first.status_code == 201, first.text
        again = await world.client.put(f"{ACT}/TOKEN-IDEM", json=body, headers=headers)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        other = await world.client.put(f"{ACT}/TOKEN-IDEM", json={**body, "title": "x"}, headers=headers)
        problem(other, 422)
        # Another subject's same key is its own.
        claims2 = issuer.claims(oia_role="editor", oia_component="CBP", azp="cbp-other", sub="svc-2")
        headers2 = {"Authorization": f"Bearer {issuer.mint(claims2)}", "Idempotency-Key": "put-1"}
        mine = await world.client.post("/api/v1/activities", json=activity(), headers=headers2)
        assert mine.status_code == 201, mine.text
    app.state.token_verifier = None


async def test_an_upsert_import_meeting_a_key_held_out_of_sight(world: World) -> None:
    secret = activity(identifier="HIDDEN-IMP", lead_component="ICE", sensitivity="les", title="Osprey 5d2b")
    assert (
        await world.client.post("/api/v1/activities", json=secret, headers=world.headers["admin"])
    ).is_success
    rows = [activity(identifier="VISIBLE-IMP"), activity(identifier="HIDDEN-IMP", title="Mine")]
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    headers = {**world.headers["cbp"], "Content-Type": "application/x-ndjson"}
    answer = await world.client.post("/api/v1/activities/import?mode=upsert", content=body, headers=headers)
    problem(answer, 409)
    assert "5d2b" not in answer.text and "Osprey" not in answer.text
    assert await counts(world, "VISIBLE-IMP") == (0, 0)  # all or nothing
    assert await counts(world, "HIDDEN-IMP") == (1, 1)
