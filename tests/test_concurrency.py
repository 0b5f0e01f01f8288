"""Races against real commits: If-Match, idempotent retries, and the change feed under concurrent writers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import String, cast, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.activities.repository import ActivityStore
from service.auth import Principal, key_cache
from service.config import Settings
from service.db import make_read_sessionmaker, make_sessionmaker
from service.main import create_app
from service.models import Activity, AuditEntry, IdempotencyRecord
from service.records import sql as records
from tests.factories import activity
from tests.isolated import Isolated, isolated_world

API = "/api/v1/activities"


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[Isolated]:
    async for made in isolated_world():
        yield made


async def test_two_patches_with_one_etag_exactly_one_wins(world: Isolated) -> None:
    for round_ in range(10):
        made = await world.client.post(API, json=activity(), headers=world.headers["cbp"])
        url = f"{API}/{made.json()['id']}"
        headers = {**world.headers["cbp"], "If-Match": '"1"'}
        first, second = await asyncio.gather(
            world.client.patch(url, json={"title": f"A{round_}"}, headers=headers),
            world.client.patch(url, json={"title": f"B{round_}"}, headers=headers),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 412]
        history = (await world.client.get(f"{url}/history", headers=world.headers["cbp"])).json()["items"]
        assert [h["action"] for h in history] == ["create", "update"]
        winner = first if first.status_code == 200 else second
        assert (await world.client.get(url, headers=world.headers["cbp"])).json()["title"] == winner.json()[
            "title"
        ]


async def count_identifier(world: Isolated, identifier: str) -> tuple[int, int]:
    async with world.maker() as session:
        rows = await session.scalar(select(func.count()).where(Activity.identifier == identifier))
        ids = select(cast(Activity.id, String)).where(Activity.identifier == identifier)
        audits = await session.scalar(select(func.count()).where(AuditEntry.record_id.in_(ids)))
        return int(rows or 0), int(audits or 0)


async def test_ten_concurrent_retries_make_one_record(world: Isolated) -> None:
    body = activity(identifier="IDEM-RACE")
    headers = {**world.headers["cbp"], "Idempotency-Key": "race-1"}
    responses = await asyncio.gather(*(world.client.post(API, json=body, headers=headers) for _ in range(10)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    assert await count_identifier(world, "IDEM-RACE") == (1, 1)
    created = [r for r in responses if r.status_code == 201]
    assert len({r.content for r in created}) == 1  # replays are byte-identical
    replay = await world.client.post(API, json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert (
        replay.content == created[0].content and replay.headers["location"] == created[0].headers["location"]
    )


async def test_same_key_other_body_is_422_and_scoped_per_api_key(world: Isolated) -> None:
    headers = {**world.headers["cbp"], "Idempotency-Key": "scoped-1"}
    first = await world.client.post(API, json=activity(identifier="IDEM-A"), headers=headers)
    assert first.status_code == 201
    other = await world.client.post(API, json=activity(identifier="IDEM-B"), headers=headers)
    assert other.status_code == 422
    assert await count_identifier(world, "IDEM-B") == (0, 0)
    # The same idempotency key from another API key is another key altogether.
    theirs = {**world.headers["cbp2"], "Idempotency-Key": "scoped-1"}
    assert (
        await world.client.post(API, json=activity(identifier="IDEM-B"), headers=theirs)
    ).status_code == 201


async def test_failed_attempt_is_not_replayed_and_expired_keys_start_afresh(world: Isolated) -> None:
    await world.client.post(API, json=activity(identifier="IDEM-TAKEN"), headers=world.headers["cbp"])
    headers = {**world.headers["cbp"], "Idempotency-Key": "fails-first"}
    clash = await world.client.post(API, json=activity(identifier="IDEM-TAKEN"), headers=headers)
    assert clash.status_code == 409
    async with world.maker() as session:
        stored = await session.scalar(
            select(func.count()).where(IdempotencyRecord.idempotency_key == "fails-first")
        )
        assert stored == 0
    ok = await world.client.post(API, json=activity(identifier="IDEM-LATER"), headers=headers)
    assert ok.status_code == 201 and "idempotent-replayed" not in ok.headers
    async with world.maker() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.idempotency_key == "fails-first")
            .values(created_at=func.now() - text("interval '25 hours'"))
        )
        await session.commit()
    fresh = await world.client.post(API, json=activity(identifier="IDEM-AFTER"), headers=headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers


async def slow_writer(world: Isolated, writer: int, count: int) -> None:
    """Writes through the service's own code, pausing between the audit insert and the commit:
    exactly the window in which a naive sequence lets a poller skip a change."""
    store = ActivityStore()
    actor = Principal.system(f"writer-{writer}")
    for n in range(count):
        body = store.create_model.model_validate(activity(identifier=f"FEED-{writer}-{n}")).model_dump()
        async with world.maker() as session:
            await records.create(session, store.spec, body, actor)
            await asyncio.sleep(random.uniform(0, 0.01))
            await session.commit()


async def test_change_feed_poller_never_skips_under_concurrent_writers(world: Isolated) -> None:
    start = await world.client.get("/api/v1/changes", params={"limit": 200}, headers=world.headers["admin"])
    cursor = start.json()["next_cursor"]
    while start.json()["items"]:  # drain what earlier tests wrote
        start = await world.client.get(
            "/api/v1/changes", params={"after": cursor, "limit": 200}, headers=world.headers["admin"]
        )
        cursor = start.json()["next_cursor"]
    writers = asyncio.gather(*(slow_writer(world, w, 15) for w in range(6)))
    seen: list[int] = []
    while True:
        done = writers.done()
        page = (
            await world.client.get(
                "/api/v1/changes", params={"after": cursor, "limit": 7}, headers=world.headers["admin"]
            )
        ).json()
        seen += [item["seq"] for item in page["items"]]
        assert page["next_cursor"]  # never null, even on an empty page
        cursor = page["next_cursor"]
        if done and not page["items"]:
            break
        await asyncio.sleep(0.002)
    await writers
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    async with world.maker() as session:
        expected = (
            (
                await session.execute(
                    select(AuditEntry.seq)
                    .where(AuditEntry.actor_name.like("writer-%"))
                    .order_by(AuditEntry.seq)
                )
            )
            .scalars()
            .all()
        )
    assert seen == list(expected) and len(seen) == 90


async def test_change_feed_filters_by_resource(world: Isolated) -> None:
    page = await world.client.get(
        "/api/v1/changes", params={"resource": "posts"}, headers=world.headers["admin"]
    )
    assert page.status_code == 200 and all(i["resource"] == "posts" for i in page.json()["items"])
    bad = await world.client.get(
        "/api/v1/changes", params={"resource": "secrets"}, headers=world.headers["admin"]
    )
    assert bad.status_code == 422
    tampered = await world.client.get(
        "/api/v1/changes", params={"after": "zzzz"}, headers=world.headers["admin"]
    )
    assert tampered.status_code == 400


def app_on(world: Isolated, engine: AsyncEngine) -> FastAPI:
    """The service on an engine of the test's own, with a cold 60 s key cache."""
    app = create_app(Settings(database_url=world.url, auth_cache_seconds=60))
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_read_sessionmaker(engine)
    app.state.engine = engine
    key_cache.clear()
    return app


async def test_cold_key_cache_with_more_requests_than_connections_does_not_deadlock(world: Isolated) -> None:
    # Each request checks its key on a connection of its own only for that lookup: were the lookup
    # to keep it until the request ends, 16 requests on 4 connections would each hold one while
    # waiting for a second, and all would fail with 503 at the pool timeout.
    made = await world.client.post(API, json=activity(), headers=world.headers["cbp"])
    url = f"{API}/{made.json()['id']}"
    engine = create_async_engine(world.url, pool_size=4, max_overflow=0, pool_timeout=3)
    app = app_on(world, engine)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *(client.get(url, headers=world.headers["admin"]) for _ in range(16))
            )
        assert [a.status_code for a in answers] == [200] * 16
    finally:
        key_cache.clear()
        await engine.dispose()


async def test_connections_killed_mid_statement_are_not_handed_out_again(world: Isolated) -> None:
    # GET by id runs on a bare pooled asyncpg connection. When the server drops connections in the
    # middle of statements (a restart, an admin's pg_terminate_backend), those requests answer 503,
    # and none of the dead connections goes back to the pool to fail a later request.
    made = await world.client.post(API, json=activity(), headers=world.headers["cbp"])
    url = f"{API}/{made.json()['id']}"
    tag = "oia-killed-pool-test"
    engine = create_async_engine(
        world.url, pool_size=4, max_overflow=0, connect_args={"server_settings": {"application_name": tag}}
    )
    app = app_on(world, engine)
    mine = " FROM pg_stat_activity WHERE application_name = :tag"
    admin_key = world.headers["admin"]
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get(url, headers=admin_key)).status_code == 200  # the key is cached now
            async with world.engine.connect() as locker, world.engine.connect() as admin:
                # An exclusive lock holds four GETs inside their SELECT, one per pooled connection.
                await locker.execute(text("LOCK TABLE activities IN ACCESS EXCLUSIVE MODE"))
                blocked = [asyncio.create_task(client.get(url, headers=admin_key)) for _ in range(4)]
                for _ in range(100):
                    await asyncio.sleep(0.05)
                    waiting = await admin.scalar(
                        text("SELECT count(*)" + mine + " AND wait_event_type = 'Lock'"), {"tag": tag}
                    )
                    if waiting == 4:
                        break
                assert waiting == 4
                await admin.execute(text("SELECT pg_terminate_backend(pid)" + mine), {"tag": tag})
                interrupted = [await answer for answer in blocked]
                await locker.rollback()
            after = [(await client.get(url, headers=admin_key)).status_code for _ in range(6)]
        assert [a.status_code for a in interrupted] == [503] * 4
        assert all(a.headers["retry-after"] for a in interrupted)
        assert after == [200] * 6
    finally:
        key_cache.clear()
        await engine.dispose()
