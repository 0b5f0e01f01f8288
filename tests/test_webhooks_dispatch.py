"""The dispatcher against real local receivers, on a committed database: signed deliveries, retries
with the same webhook-id, the deliveries log, manual retry, auto-disable, filters, clearance,
withdrawn, pause, and two dispatchers under a burst delivering each event exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.ops.keys import create_key
from service.schemas.vocab import Role, Sensitivity
from service.webhooks.events import fan_out
from service.webhooks.owners import DEAD_OWNER
from service.webhooks.settings import WebhookSettings, get_webhook_settings
from service.webhooks.worker import Dispatcher
from tests.factories import activity
from tests.isolated import Isolated, isolated_world
from tests.webhook_receiver import Receiver

API = "/api/v1/webhooks"


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[Isolated]:
    async for made in isolated_world():
        async with made.maker() as session:
            for label, role, component, clearance in (
                ("sbu_reader", Role.reader, None, Sensitivity.sbu),
                ("ice", Role.editor, "ICE", Sensitivity.sbu),
            ):
                _, key = await create_key(
                    session, name=label, role=role, component=component, clearance=clearance
                )
                made.headers[label] = {"Authorization": f"Bearer {key}"}
            await session.commit()
        yield made


@pytest.fixture(autouse=True)
async def fresh_start(world: Isolated, monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier tests' subscriptions stop listening, and the outbox starts at the log's end."""
    monkeypatch.setenv("WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    get_webhook_settings.cache_clear()
    async with world.maker() as session:
        await session.execute(text("UPDATE webhook_subscriptions SET active = false"))
        await session.execute(
            text("UPDATE webhook_cursor SET last_seq = (SELECT coalesce(max(seq), 0) FROM audit_log)")
        )
        await session.commit()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.close()


@pytest.fixture(scope="module")
async def service_maker(world: Isolated) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions as `oia serve` and `oia worker` make them: the service role, so row-level security
    applies and every connection reads with the clearance of the context's principal."""
    engine = make_engine(world.url, Settings(database_url=world.url))
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(autouse=True)
def use_service_role(world: Isolated, service_maker: async_sessionmaker[AsyncSession]) -> None:
    world.service_maker = service_maker  # type: ignore[attr-defined]


def dispatcher(world: Isolated, **overrides: Any) -> Dispatcher:
    options: dict[str, Any] = {
        "webhook_allow_hosts": "127.0.0.1",
        "webhook_retry_base_seconds": 0.2,
        "webhook_timeout_seconds": 0.5,
        "webhook_poll_seconds": 0.05,
    }
    return Dispatcher(world.service_maker, WebhookSettings(**(options | overrides)))  # type: ignore[attr-defined]


async def drain(d: Dispatcher, done: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for deliveries"
        await d.step()
        await asyncio.sleep(0.05)


async def subscribe(world: Isolated, who: str, url: str, **body: Any) -> dict[str, Any]:
    made = await world.client.post(API, json={"url": url, **body}, headers=world.headers[who])
    assert made.status_code == 201, made.text
    return dict(made.json())


async def write(world: Isolated, who: str = "admin", **fields: Any) -> dict[str, Any]:
    made = await world.client.post("/api/v1/activities", json=activity(**fields), headers=world.headers[who])
    assert made.status_code == 201, made.text
    return dict(made.json())


async def patch(world: Isolated, record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    url = f"/api/v1/activities/{record['id']}"
    headers = {**world.headers["admin"], "If-Match": f'"{record["version"]}"'}
    answer = await world.client.patch(url, json=fields, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def deliveries(world: Isolated, sub: dict[str, Any], who: str = "admin") -> list[dict[str, Any]]:
    page = await world.client.get(f"{API}/{sub['id']}/deliveries", headers=world.headers[who])
    assert page.status_code == 200
    return list(page.json()["items"])


def events(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests]


async def test_a_write_is_delivered_signed_with_the_record(world: Isolated, receiver: Receiver) -> None:
    sub = await subscribe(world, "admin", receiver.url("/ok"))
    record = await write(world)
    await drain(dispatcher(world), lambda: len(receiver.requests) >= 1)
    [got] = receiver.requests
    event = Webhook(sub["secret"]).verify(got.body, got.headers)
    assert event["type"] == "activity.created"
    data = event["data"]
    assert (data["resource"], data["id"], data["action"], data["version"]) == (
        "activities",
        record["id"],
        "create",
        1,
    )
    assert data["record"] == record
    [logged] = await deliveries(world, sub)
    assert logged["status"] == "succeeded" and logged["attempts"] == 1 and logged["last_status_code"] == 200
    assert logged["event_seq"] == data["seq"] and logged["event_type"] == "activity.created"
    assert got.headers["webhook-id"] == f"msg_{logged['id'].replace('-', '')}"


@pytest.mark.parametrize(
    ("path", "status", "error"), [("/fail", 500, "HTTP 500"), ("/hang", None, "no answer")]
)
async def test_retries_keep_the_webhook_id_and_a_manual_retry_sends_again(
    world: Isolated, receiver: Receiver, path: str, status: int | None, error: str
) -> None:
    sub = await subscribe(world, "admin", receiver.url(path))
    await write(world)
    await drain(dispatcher(world), lambda: len(receiver.requests) >= 3)
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    stamps = [r.headers["webhook-timestamp"] for r in receiver.requests]
    assert len(ids) == 1 and len(stamps) == 3
    for got in receiver.requests:
        Webhook(sub["secret"]).verify(got.body, got.headers)  # each attempt signed afresh
    [logged] = await deliveries(world, sub)
    assert logged["status"] == "pending" and logged["attempts"] >= 3
    assert logged["last_status_code"] == status and error in logged["last_error"]
    assert logged["next_attempt_at"] is not None
    fixed = await world.client.patch(
        f"{API}/{sub['id']}", json={"url": receiver.url("/ok")}, headers=world.headers["admin"]
    )
    assert fixed.status_code == 200
    retried = await world.client.post(
        f"{API}/{sub['id']}/deliveries/{logged['id']}/retry", headers=world.headers["admin"]
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "succeeded" and retried.json()["attempts"] == logged["attempts"] + 1
    assert receiver.requests[-1].path == "/ok" and receiver.requests[-1].headers["webhook-id"] in ids


async def test_a_subscription_failing_for_the_window_is_disabled(world: Isolated, receiver: Receiver) -> None:
    sub = await subscribe(world, "admin", receiver.url("/fail"))
    await write(world)
    d = dispatcher(world, webhook_disable_after_seconds=0.6)

    deadline = time.monotonic() + 10
    while True:
        await d.step()
        now = (await world.client.get(f"{API}/{sub['id']}", headers=world.headers["admin"])).json()
        if not now["active"]:
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    assert "every delivery failed since" in now["disabled_reason"] and now["failing_since"] is not None
    sent = len(receiver.requests)
    await write(world)
    for _ in range(5):
        await d.step()
        await asyncio.sleep(0.1)
    assert len(receiver.requests) == sent  # paused: nothing more is sent


async def test_filters_choose_resources_actions_and_components(world: Isolated) -> None:
    receivers = [await Receiver().start() for _ in range(4)]
    try:
        postings = await subscribe(world, "admin", receivers[0].url("/ok"), resources=["postings"])
        await subscribe(world, "admin", receivers[1].url("/ok"), actions=["update"])
        ice = await subscribe(world, "admin", receivers[2].url("/ok"), components=["ICE"])
        cbp = await subscribe(world, "cbp", receivers[3].url("/ok"), resources=["activities"])
        assert cbp["components"] == ["CBP"] and postings and ice
        record = await write(world, lead_component="CBP")
        await patch(world, record, title="renamed")
        await drain(
            dispatcher(world), lambda: len(receivers[1].requests) >= 1 and len(receivers[3].requests) >= 2
        )
        await dispatcher(world).step()
        assert receivers[0].requests == [] and receivers[2].requests == []
        assert [e["type"] for e in events(receivers[1])] == ["activity.updated"]
        assert sorted(e["type"] for e in events(receivers[3])) == ["activity.created", "activity.updated"]
    finally:
        for r in receivers:
            await r.close()


async def test_clearance_at_send_time_and_withdrawn(world: Isolated, receiver: Receiver) -> None:
    sub = await subscribe(world, "sbu_reader", receiver.url("/ok"))
    hidden = await write(world, lead_component="ICE", sensitivity="les", title="les only")
    seen = await write(world, lead_component="ICE", sensitivity="sbu")
    await drain(dispatcher(world), lambda: len(receiver.requests) >= 1)
    await patch(world, seen, sensitivity="les")
    await drain(dispatcher(world), lambda: len(receiver.requests) >= 2)
    await dispatcher(world).step()
    got = events(receiver)
    assert [e["type"] for e in got] == ["activity.created", "activity.withdrawn"]
    assert all(e["data"]["id"] != hidden["id"] for e in got)
    assert b"les only" not in b"".join(r.body for r in receiver.requests)
    withdrawn = got[1]["data"]
    assert withdrawn["action"] == "withdrawn" and "record" not in withdrawn and withdrawn["id"] == seen["id"]
    assert all(Webhook(sub["secret"]).verify(r.body, r.headers) for r in receiver.requests)


async def test_a_record_raised_before_sending_is_not_sent(world: Isolated, receiver: Receiver) -> None:
    sub = await subscribe(world, "sbu_reader", receiver.url("/ok"))
    seen = await write(world, lead_component="ICE", sensitivity="sbu", title="raised later")
    await patch(world, seen, sensitivity="les")  # both events wait in the outbox; nothing sent yet
    await drain(dispatcher(world), lambda: len(receiver.requests) >= 1)
    await dispatcher(world).step()
    assert [e["type"] for e in events(receiver)] == ["activity.withdrawn"]
    logged = {d["event_type"]: d for d in await deliveries(world, sub, "sbu_reader")}
    assert logged["activity.created"]["status"] == "failed"
    assert "not readable" in logged["activity.created"]["last_error"]


async def test_pause_means_events_meanwhile_are_not_delivered(world: Isolated, receiver: Receiver) -> None:
    sub = await subscribe(world, "admin", receiver.url("/ok"))
    url = f"{API}/{sub['id']}"
    assert (
        await world.client.patch(url, json={"active": False}, headers=world.headers["admin"])
    ).status_code == 200
    await write(world)
    d = dispatcher(world)
    for _ in range(3):
        await d.step()
    assert (
        await world.client.patch(url, json={"active": True}, headers=world.headers["admin"])
    ).status_code == 200
    after = await write(world)
    await drain(d, lambda: len(receiver.requests) >= 1)
    await d.step()
    assert [e["data"]["id"] for e in events(receiver)] == [after["id"]]


async def test_two_dispatchers_deliver_a_burst_of_200_exactly_once(
    world: Isolated, receiver: Receiver
) -> None:
    await subscribe(world, "admin", receiver.url("/ok"), resources=["activities"])
    stop = asyncio.Event()
    workers = [asyncio.create_task(dispatcher(world).run(stop)) for _ in range(2)]
    try:
        for _ in range(10):
            await asyncio.gather(*(write(world) for _ in range(20)))
        for _ in range(600):
            if len(receiver.requests) >= 200:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # anything sent twice would arrive by now
    finally:
        stop.set()
        await asyncio.gather(*workers)
    seqs = [e["data"]["seq"] for e in events(receiver)]
    assert len(seqs) == 200 and len(set(seqs)) == 200


@pytest.mark.parametrize("how", ["revoked_at = now()", "expires_at = now() - interval '1 second'"])
async def test_a_dead_keys_subscription_gets_nothing(world: Isolated, receiver: Receiver, how: str) -> None:
    async with world.maker() as session:
        key_id, key = await create_key(session, name="short-lived", role=Role.admin, component=None)
        await session.commit()
    world.headers["short"] = {"Authorization": f"Bearer {key}"}
    sub = await subscribe(world, "short", receiver.url("/ok"))
    await write(world)
    d = dispatcher(world)
    async with world.maker() as session:
        assert await fan_out(session) >= 1  # the event becomes a delivery while the key is live
    async with world.maker() as session:
        await session.execute(text(f"UPDATE api_keys SET {how} WHERE id = :id"), {"id": key_id})
        await session.commit()
    await write(world)
    for _ in range(3):
        await d.step()
    assert receiver.requests == []
    async with world.maker() as session:
        rows = (
            await session.execute(
                text("SELECT status, last_error FROM webhook_deliveries WHERE webhook_id = :id"),
                {"id": sub["id"]},
            )
        ).all()
    # The event from while the key was live became a delivery; at send time the key is dead: failed,
    # with the reason. The event after it never becomes a delivery.
    assert [(r.status, r.last_error) for r in rows] == [("failed", DEAD_OWNER)]
