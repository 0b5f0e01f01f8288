"""One delivery attempt end to end: read the record as the subscription's owner, sign, send, record.

Clearance is applied at send time: the record is read as the owner is now (service.webhooks.owners),
through the same store lookup GET uses, on a connection whose row-level security is the owner's.
A record the owner cannot read now is never sent (the delivery ends `failed` with the reason; the
write that hid it is an event of its own, delivered as `withdrawn`).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.auth import Principal, act_as
from service.db import driver_connection
from service.records import sql as records
from service.records.links import redact_links
from service.resources import store_named
from service.webhooks import queue
from service.webhooks.owners import DEAD_OWNER, owners
from service.webhooks.payload import event_body
from service.webhooks.repository import secret_box
from service.webhooks.settings import WebhookSettings
from service.webhooks.signing import delivery_headers, message_id
from service.webhooks.transport import AttemptResult, WebhookSender

UNREADABLE = "not sent: the record is not readable by the subscription's owner now"
_MISSING = object()


async def record_as(session: AsyncSession, principal: Principal, resource: str, record_id: str) -> Any:
    """The record as GET returns it to `principal`; None for a resource without records; _MISSING
    when the principal may not read it (or it is gone)."""
    try:
        store = store_named(resource)
    except ValueError:
        return None
    key: Any = uuid.UUID(record_id) if store.spec.key == "id" else record_id
    sql = store.lookup_sql(principal)
    if sql is not None:
        found = await records.fetch_json(await driver_connection(session), sql, key)
        marked = store.spec.marking is not None
        if found is None or (marked and not principal.can_read(found[2], found[3])):
            return _MISSING
        return json.loads(found[0])
    row = await records.fetch(session, store.spec, key)
    if row is None or not store.can_read(principal, row):
        return _MISSING
    row = await redact_links(session, principal, store.links, row)
    return store.to_read(row).model_dump(mode="json")


class Deliverer:
    """Sends claimed deliveries; shared by the dispatcher loop and the manual retry route."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], settings: WebhookSettings) -> None:
        self.maker = maker
        self.settings = settings
        self.sender: WebhookSender = settings.sender()
        self.policy = settings.retry_policy()
        # A lease outlives the attempt's time limit, so no other dispatcher takes the row meanwhile.
        self.lease_seconds = settings.webhook_timeout_seconds + 30

    async def deliver(self, delivery: dict[str, Any]) -> None:
        """One attempt of one claimed delivery (its own sessions: each reads as its owner)."""
        act_as(Principal.system("webhook dispatcher"))
        async with self.maker() as session:
            subs, entries = await queue.context_of(session, [delivery])
            sub, entry = subs[delivery["webhook_id"]], entries.get(delivery["event_seq"])
            owner = (await owners(session, [sub]))[sub["id"]]
            secret = (await secret_box(session)).open(sub["secret_sealed"])
        if owner is None or entry is None:
            await self._end(
                delivery, "failed", None, DEAD_OWNER if owner is None else "the event is gone", None
            )
            return
        body = await self._body(owner, delivery, entry)
        if body is None:
            await self._end(delivery, "failed", None, UNREADABLE, None)
            return
        headers = delivery_headers([secret], message_id(delivery["id"]), int(time.time()), body)
        result = await self.sender.post(sub["url"], body, headers)
        await self._after(delivery, result)

    async def _body(self, owner: Principal, delivery: dict[str, Any], entry: Any) -> bytes | None:
        action = delivery["event_type"].rsplit(".", 1)[1]
        withdrawn = action == "withdrawn"
        data: dict[str, Any] = {
            "seq": entry.seq,
            "resource": entry.resource,
            "id": entry.record_id,
            "action": "withdrawn" if withdrawn else entry.action,
            "version": entry.version,
        }
        if not withdrawn:
            act_as(owner)  # this task's connections now read with the owner's clearance
            async with self.maker() as session:
                record = await record_as(session, owner, entry.resource, entry.record_id)
            act_as(Principal.system("webhook dispatcher"))
            if record is _MISSING:
                return None
            if record is not None:
                data["record"] = record
        return event_body(delivery["event_type"], datetime.now(UTC), data)

    async def _after(self, delivery: dict[str, Any], result: AttemptResult) -> None:
        if result.ok:
            await self._end(delivery, "succeeded", result.status_code, None, None, ok=True)
            return
        retry_at = self.policy.next_attempt_at(
            delivery["created_at"], delivery["attempts"], datetime.now(UTC)
        )
        status = "pending" if retry_at is not None else "failed"
        await self._end(delivery, status, result.status_code, result.error, retry_at, ok=False)

    async def _end(
        self,
        delivery: dict[str, Any],
        status: str,
        code: int | None,
        error: str | None,
        retry_at: datetime | None,
        ok: bool | None = None,
    ) -> None:
        """Record the outcome; `ok` (None: nothing was sent) moves the subscription's health."""
        async with self.maker() as session:
            await queue.finish(
                session,
                delivery["id"],
                status=status,
                status_code=code,
                error=error,
                next_attempt_at=retry_at,
            )
            if ok is not None:
                disable_after = self.settings.webhook_disable_after_seconds
                await queue.note_health(session, delivery["webhook_id"], ok, disable_after)
            await session.commit()
