"""SQL of the delivery queue: claim due deliveries (SKIP LOCKED), and record what an attempt came to.

A claim commits at once and leases the row: `next_attempt_at` moves past the attempt's time limit, so
another dispatcher does not see it as due while it is in flight, and no connection is held during
the HTTP request. A dispatcher that dies mid-attempt leaves the lease to run out: the delivery is
sent again (at least once), never lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry, WebhookDelivery, WebhookSubscription
from service.webhooks.events import ENTRY_COLUMNS

DELIVERIES = WebhookDelivery.__table__
SUBS = WebhookSubscription.__table__
AUDIT = AuditEntry.__table__

_CLAIM_DUE = text("""
WITH due AS (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.webhook_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND s.active AND s.deleted_at IS NULL
    ORDER BY d.next_attempt_at LIMIT :n
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET next_attempt_at = now() + make_interval(secs => :lease), attempts = d.attempts + 1
FROM due WHERE d.id = due.id
RETURNING d.*
""")
_CLAIM_ONE = text("""
UPDATE webhook_deliveries d
SET status = 'pending', next_attempt_at = now() + make_interval(secs => :lease), attempts = d.attempts + 1
WHERE d.id = (SELECT id FROM webhook_deliveries WHERE id = :id FOR UPDATE SKIP LOCKED)
RETURNING d.*
""")


async def claim_due(session: AsyncSession, limit: int, lease_seconds: float) -> list[dict[str, Any]]:
    """Lease up to `limit` due deliveries of active subscriptions, and commit the lease."""
    rows = (await session.execute(_CLAIM_DUE, {"n": limit, "lease": lease_seconds})).mappings().all()
    await session.commit()
    return [dict(r) for r in rows]


async def claim_one(
    session: AsyncSession, delivery_id: uuid.UUID, lease_seconds: float
) -> dict[str, Any] | None:
    """Lease one delivery whatever its status (a manual retry); None while another holds its row."""
    row = (await session.execute(_CLAIM_ONE, {"id": delivery_id, "lease": lease_seconds})).mappings().first()
    await session.commit()
    return dict(row) if row else None


async def context_of(
    session: AsyncSession, claimed: list[dict[str, Any]]
) -> tuple[dict[Any, Any], dict[int, Any]]:
    """The claimed deliveries' subscriptions (by id) and audit entries (by seq)."""
    sub_ids = list({d["webhook_id"] for d in claimed})
    seqs = list({d["event_seq"] for d in claimed})
    subs = {
        r["id"]: dict(r)
        for r in (await session.execute(select(SUBS).where(SUBS.c.id.in_(sub_ids)))).mappings()
    }
    found = await session.execute(select(*ENTRY_COLUMNS).where(AUDIT.c.seq.in_(seqs)))
    entries = {r.seq: r for r in found.all()}
    return subs, entries


async def finish(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    *,
    status: str,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """Record one attempt's outcome (the caller commits)."""
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(
            status=status, last_status_code=status_code, last_error=error, next_attempt_at=next_attempt_at
        )
    )


async def note_health(session: AsyncSession, webhook_id: uuid.UUID, ok: bool, disable_after: float) -> None:
    """A success clears the failing clock; a failure starts it, and pauses the subscription once every
    attempt has failed for `disable_after` seconds (the caller commits)."""
    if ok:
        values: dict[str, Any] = {"last_success_at": func.now(), "failing_since": None}
        await session.execute(update(SUBS).where(SUBS.c.id == webhook_id).values(**values))
        return
    await session.execute(
        update(SUBS)
        .where(SUBS.c.id == webhook_id)
        .values(failing_since=func.coalesce(SUBS.c.failing_since, func.now()))
    )
    cutoff = func.now() - timedelta(seconds=disable_after)
    await session.execute(
        update(SUBS)
        .where(SUBS.c.id == webhook_id, SUBS.c.active, SUBS.c.failing_since <= cutoff)
        .values(
            active=False,
            version=SUBS.c.version + 1,
            updated_at=func.now(),
            disabled_reason=func.concat(
                "every delivery failed since ",
                func.to_char(SUBS.c.failing_since.op("AT TIME ZONE")("UTC"), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                f" ({disable_after:g} s): paused; PATCH active: true to resume",
            ),
        )
    )
