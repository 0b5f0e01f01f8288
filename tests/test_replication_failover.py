"""Failover: DATABASE_URL names the primary and its synchronous standby with
target_session_attrs=read-write; the primary is killed under a steady write load and the standby
promoted. Every acknowledged write is on the new primary, the change feed still has them all in order,
an idempotency key from before the failover still replays, and writes resume within 10 s without
restarting the service."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from service.replication.asgi import HEADER
from tests.factories import activity
from tests.support.pg_cluster import Workspace, pg_workspace
from tests.support.replica_app import DB, prepare, running_app

__all__ = ["pg_workspace"]  # a fixture, imported for pytest to find

API = "/api/v1/activities"
WRITERS = 3


async def write_loop(
    client: httpx.AsyncClient, headers: dict[str, str], acked: list[tuple[float, str]], stop: asyncio.Event
) -> None:
    """POST activities back to back; remember each acknowledged one and when it was acknowledged."""
    while not stop.is_set():
        try:
            response = await client.post(API, json=activity(), headers=headers)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 201:
            assert HEADER in response.headers
            acked.append((time.monotonic(), response.json()["id"]))
        elif response is not None:
            assert response.status_code == 503, response.text  # the outage, never a 500
            await asyncio.sleep(0.05)


async def test_promotion_under_write_load_loses_no_acknowledged_write(pg_workspace: Workspace) -> None:
    primary = await pg_workspace.primary()
    standby = await pg_workspace.standby(primary)
    headers = (await prepare(primary, standby))["admin"]
    await primary.enable_sync(standby)
    url = f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{DB}?target_session_attrs=read-write"
    async with running_app(url, db_connect_timeout=2.0) as client:
        keyed = {**headers, "Idempotency-Key": "before-failover"}
        body = activity()
        first = await client.post(API, json=body, headers=keyed)
        assert first.status_code == 201, first.text

        acked: list[tuple[float, str]] = []
        stop = asyncio.Event()
        writers = [asyncio.create_task(write_loop(client, headers, acked, stop)) for _ in range(WRITERS)]
        await asyncio.sleep(2)  # steady load
        before = len(acked)
        assert before > 10
        await primary.kill()
        killed_at = time.monotonic()  # once the primary is gone: nothing after this was written there
        await standby.promote()
        promoted = time.monotonic() - killed_at
        # Writes resume on the promoted standby through the same engine: no restart.
        for _ in range(600):  # polling what the writers record, 30 s at most
            if any(at > killed_at for at, _ in acked):
                break
            await asyncio.sleep(0.05)
        resumed = min((at for at, _ in acked if at > killed_at), default=float("inf")) - killed_at
        await asyncio.sleep(1)  # and keep going for a while
        stop.set()
        await asyncio.gather(*writers)
        print(
            f"\nfailover: {before} writes acknowledged before the kill, {len(acked)} in all; standby "
            f"promoted {promoted:.2f} s and first write acknowledged {resumed:.2f} s after the kill"
        )
        assert resumed < 10, resumed

        ids = {record_id for _, record_id in acked} | {first.json()["id"]}
        present = await standby.fetchval(
            "SELECT count(*) FROM activities WHERE id = ANY($1::uuid[])", list(ids), database=DB
        )
        assert present == len(ids), f"{len(ids) - present} acknowledged writes lost"  # fmt: skip

        # The change feed, followed from the start on the new primary, has every acknowledged
        # write exactly once (each was one create).
        feed = await changes(client, headers)
        assert ids <= set(feed) and len(feed) == len(set(feed))

        # The idempotency key's stored response replicated with the write: a replay, not a second record.
        again = await client.post(API, json=body, headers=keyed)
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


async def changes(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """The record id of every change, in feed order, following the cursors."""
    out: list[str] = []
    params: dict[str, Any] = {"limit": 100, "resource": "activities"}
    while True:
        page = await client.get("/api/v1/changes", params=params, headers=headers)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        out += [c["id"] for c in items]
        if not items:
            return out
        params["after"] = page.json()["next_cursor"]
