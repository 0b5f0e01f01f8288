"""Writes as one statement (service.records.write_sql): the answer is what GET reads, the audit row is
what it always was, the reference checks say what they always said, and the change feed's lock is
held before the audit row's seq is drawn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry
from service.records.audit import FEED_LOCK_ID
from tests.conftest import Keys
from tests.factories import activity, post, posting, trip
from tests.isolated import Isolated, isolated_world

API = "/api/v1"


async def _created_then_read(client: httpx.AsyncClient, keys: Keys, path: str, body: dict[str, Any]) -> Any:
    made = await client.post(f"{API}/{path}", json=body, headers=keys["admin"])
    assert made.status_code == 201, made.text
    read = await client.get(made.headers["location"].removeprefix("http://test"), headers=keys["admin"])
    assert read.status_code == 200
    assert made.content == read.content  # byte for byte: the same rendering
    assert made.headers["etag"] == read.headers["etag"] == '"1"'
    return made.json()


async def test_a_create_answers_exactly_what_get_reads(client: httpx.AsyncClient, keys: Keys) -> None:
    where = await _created_then_read(client, keys, "posts", post())
    what = await _created_then_read(
        client,
        keys,
        "activities",
        activity(
            post_ids=[where["id"]],
            estimated_cost="1234567.5",
            currency="USD",
            start_date="2025-01-02",
            foreign_partners=[{"name": "Aduana", "country": "MX", "partner_type": "customs"}],
            tags=["a", "b"],
        ),
    )
    assert what["estimated_cost"] == 1234567.5 and what["post_ids"] == [where["id"]]
    await _created_then_read(client, keys, "postings", posting(where["id"], activity_ids=[what["id"]]))
    await _created_then_read(client, keys, "trips", trip(post_ids=[where["id"]], activity_ids=[what["id"]]))


async def test_create_and_update_audit_rows_are_unchanged(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    made = (
        await client.post(f"{API}/activities", json=activity(sensitivity="sbu"), headers=keys["cbp"])
    ).json()
    patched = await client.patch(
        f"{API}/activities/{made['id']}",
        json={"title": "Renamed", "sensitivity": "public"},
        headers={**keys["cbp"], "If-Match": '"1"', "X-Request-ID": "req-w1"},
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    rows = (
        (
            await session.execute(
                select(AuditEntry).where(AuditEntry.record_id == made["id"]).order_by(AuditEntry.seq)
            )
        )
        .scalars()
        .all()
    )
    assert [(r.action, r.version, r.actor_name, r.key_id) for r in rows] == [
        ("create", 1, "test-cbp", keys.ids["cbp"]),
        ("update", 2, "test-cbp", keys.ids["cbp"]),
    ]
    assert rows[0].changes["identifier"] == {"before": None, "after": made["identifier"]}
    assert "version" not in rows[0].changes and "id" not in rows[0].changes
    assert (rows[0].sensitivity, rows[0].owner, rows[0].prev_sensitivity) == ("sbu", "CBP", None)
    assert rows[1].changes == {
        "title": {"before": made["title"], "after": "Renamed"},
        "sensitivity": {"before": "sbu", "after": "public"},
    }
    assert (rows[1].sensitivity, rows[1].prev_sensitivity, rows[1].prev_owner) == ("public", "sbu", "CBP")
    assert rows[1].request_id == "req-w1"


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        ({"lead_component": "NOPE"}, ["body", "lead_component"], "'NOPE' is not a component code"),
        ({"participating_components": ["ICE", "XX"]}, ["body", "participating_components", 1], "'XX' is not"),
        (
            {"strategic_goal_codes": ["NOPE-9"]},
            ["body", "strategic_goal_codes", 0],
            "strategic goal 'NOPE-9' does not exist or is archived",
        ),
        (
            {"post_ids": ["01a23a4a-e4d3-7b04-aae5-5d3ed215007d"]},
            ["body", "post_ids", 0],
            "post 01a23a4a-e4d3-7b04-aae5-5d3ed215007d does not exist or is archived",
        ),
    ],
)
async def test_reference_errors_are_the_same_and_nothing_is_written(
    client: httpx.AsyncClient, keys: Keys, body: dict[str, Any], loc: list[Any], msg: str
) -> None:
    sent = activity(**body)
    answer = await client.post(f"{API}/activities", json=sent, headers=keys["admin"])
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["loc"] == loc and msg in error["msg"]
    listed = await client.get(f"{API}/activities", params={"limit": 200}, headers=keys["admin"])
    assert sent["identifier"] not in {a["identifier"] for a in listed.json()["items"]}


async def test_a_duplicate_is_a_clean_409_and_the_next_write_works(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    body = activity()
    assert (await client.post(f"{API}/activities", json=body, headers=keys["admin"])).status_code == 201
    again = await client.post(f"{API}/activities", json=body, headers=keys["admin"])
    assert (
        again.status_code == 409
        and again.json()["detail"] == "An activity with this identifier already exists."
    )
    assert (await client.post(f"{API}/activities", json=activity(), headers=keys["admin"])).status_code == 201


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[Isolated]:
    async for made in isolated_world():
        yield made


async def test_the_feed_lock_is_held_before_the_audit_seq_is_drawn(world: Isolated) -> None:
    """A create waiting for the change feed's lock has not drawn its audit seq yet, so a writer that
    took a seq before it always commits before it (the feed's gap-free guarantee)."""
    dsn = world.url.replace("postgresql+asyncpg://", "postgresql://")
    holder = await asyncpg.connect(dsn)
    try:
        last = "SELECT coalesce(last_value, 0) FROM pg_sequences WHERE sequencename = 'audit_log_seq_seq'"
        async with holder.transaction():
            await holder.execute(f"SELECT pg_advisory_xact_lock({FEED_LOCK_ID})")
            before = await holder.fetchval(last)
            body = activity(identifier="FEED-ORDER-1")
            task = asyncio.create_task(
                world.client.post(f"{API}/activities", json=body, headers=world.headers["admin"])
            )
            for _ in range(200):
                await asyncio.sleep(0.02)
                waiting = await holder.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                if waiting:
                    break
            assert waiting == 1
            assert await holder.fetchval(last) == before  # blocked on the lock, no seq drawn yet
        made = await task
        assert made.status_code == 201
        seq = await holder.fetchval("SELECT seq FROM audit_log WHERE record_id = $1", made.json()["id"])
        assert seq > before
    finally:
        await holder.close()
