"""The outbox: audit entries after the dispatcher's cursor become delivery rows, one per match.

Audit rows commit in seq order (every writer holds the feed lock from its audit insert to commit,
service.records.audit), so reading `seq > cursor` never skips an entry that commits later, exactly
as /changes relies on. One dispatcher at a time advances the cursor (its row is locked with SKIP
LOCKED; the others go on sending), and the cursor moves in the transaction that inserts the
deliveries: a crash between the two is impossible, and a repeat is absorbed by the unique key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.models import AuditEntry, WebhookCursor, WebhookDelivery, WebhookSubscription
from service.webhooks.owners import owners
from service.webhooks.payload import event_type

AUDIT = AuditEntry.__table__
CURSOR = WebhookCursor.__table__
SUBS = WebhookSubscription.__table__
DELIVERIES = WebhookDelivery.__table__
SCAN_WINDOW = 5000  # as /changes: a busy log is read in bounded steps
# What an event needs of an audit row (not `changes`, which a bulk import makes large).
ENTRY_COLUMNS = [
    AUDIT.c[name]
    for name in (
        "seq",
        "resource",
        "record_id",
        "action",
        "version",
        "sensitivity",
        "owner",
        "prev_sensitivity",
        "prev_owner",
    )
]

_NEWS = text(
    "SELECT EXISTS (SELECT 1 FROM audit_log"
    " WHERE seq > (SELECT last_seq FROM webhook_cursor WHERE name = 'audit'))"
)
_SKIP_TO_END = text(
    "UPDATE webhook_cursor SET last_seq = (SELECT coalesce(max(seq), 0) FROM audit_log) WHERE name = 'audit'"
)


def seen_as(principal: Principal, entry: Any) -> str | None:
    """The action `principal` sees for an audit entry (as /changes does), or None: not for it."""
    if entry.sensitivity is None or principal.can_read(entry.sensitivity, entry.owner):
        return str(entry.action)
    if entry.prev_sensitivity is not None and principal.can_read(entry.prev_sensitivity, entry.prev_owner):
        return "withdrawn"
    return None


def matches(sub: dict[str, Any], entry: Any, action: str) -> bool:
    """The subscription's filters (an empty list is every value). `components` narrows records that
    have an owning component; an entry without one (recommendations, reference data) passes it, or
    an editor, whose filter is always its own component, would never hear of them."""
    owner = entry.owner or entry.prev_owner
    return (
        (not sub["resources"] or entry.resource in sub["resources"])
        and (not sub["actions"] or action in sub["actions"])
        and (not sub["components"] or owner is None or owner in sub["components"])
    )


async def fan_out(session: AsyncSession) -> int:
    """Turn the next window of audit entries into deliveries and commit; how many entries were read
    (0: nothing new, or another dispatcher holds the cursor)."""
    if not await session.scalar(_NEWS):
        await session.rollback()  # the idle poll: one index probe, no row lock taken
        return 0
    cursor = await session.scalar(
        select(CURSOR.c.last_seq).where(CURSOR.c.name == "audit").with_for_update(skip_locked=True)
    )
    if cursor is None:
        await session.rollback()
        return 0
    subs = [
        dict(r)
        for r in (
            await session.execute(select(SUBS).where(SUBS.c.active, SUBS.c.deleted_at.is_(None)))
        ).mappings()
    ]
    if not subs:  # nobody listens: skip to the end of the log (as gap-free as reading it)
        await session.execute(_SKIP_TO_END)
        await session.commit()
        return 0
    entries = (
        await session.execute(
            select(*ENTRY_COLUMNS).where(AUDIT.c.seq > cursor).order_by(AUDIT.c.seq).limit(SCAN_WINDOW)
        )
    ).all()
    if not entries:
        await session.rollback()
        return 0
    readers = await owners(session, subs)
    rows = []
    for entry in entries:
        for sub in subs:
            principal = readers[sub["id"]]
            action = seen_as(principal, entry) if principal is not None else None
            if action is None or not matches(sub, entry, action):
                continue
            kind = _event_type(entry.resource, action)
            if kind is not None:
                rows.append({"webhook_id": sub["id"], "event_seq": entry.seq, "event_type": kind})
    if rows:
        await session.execute(insert(DELIVERIES).on_conflict_do_nothing(), rows)
    await session.execute(
        text("UPDATE webhook_cursor SET last_seq = :seq WHERE name = 'audit'"), {"seq": entries[-1].seq}
    )
    await session.commit()
    return len(entries)


def _event_type(resource: str, action: str) -> str | None:
    try:
        return event_type(resource, action)
    except KeyError:  # a resource or action the contract does not name: nothing to announce
        return None
