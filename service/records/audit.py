"""The one place that records a change: an audit row in the caller's transaction.

The audit log doubles as the change feed, so its `seq` must become visible in order. A sequence hands
out numbers before commit (T1 takes 10, T2 takes 11, T2 commits first, a poller reads 11 and later
misses 10). To rule that out every writer takes one transaction-scoped advisory lock just before its
audit insert and holds it to commit: audit rows commit in seq order. The audit insert is therefore
the last statement of every write transaction, which keeps the lock short and deadlock-free.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.db import driver_connection
from service.web.context import current_request_id

FEED_LOCK_ID = 0x0A1A_FEED  # arbitrary, constant: the change feed's commit-order lock

SKIPPED_FIELDS = frozenset({"version", "updated_at", "updated_by", "created_at", "created_by"})


def jsonable(value: Any) -> Any:
    """Values as they appear in the API's JSON."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """{field: {before, after}} for every field whose value changed."""
    changes: dict[str, Any] = {}
    for field, new in after.items():
        if field in SKIPPED_FIELDS:
            continue
        old = jsonable(before.get(field)) if before is not None else None
        if old != jsonable(new):
            changes[field] = {"before": old, "after": jsonable(new)}
    return changes


# The lock and the row in one statement: the row's `seq` is drawn for a row selected FROM the lock.
_RECORD_CHANGE = (
    f"WITH feed AS (SELECT pg_advisory_xact_lock({FEED_LOCK_ID})) "
    "INSERT INTO audit_log (resource, record_id, action, version, key_id, actor_name, request_id, changes, "
    "actor_subject, actor_issuer, sensitivity, owner, prev_sensitivity, prev_owner) "
    "SELECT $1::text, $2::text, $3::text, $4::int, $5::uuid, $6::text, $7::text, $8::jsonb, $9::text, "
    "$10::text, $11::text, $12::text, $13::text, $14::text FROM feed"
)


async def record_change(
    session: AsyncSession,
    *,
    resource: str,
    record_id: Any,
    action: str,
    version: int,
    actor: Principal,
    changes: dict[str, Any],
    marking: tuple[str | None, str | None] = (None, None),
    previous: tuple[str | None, str | None] = (None, None),
) -> None:
    """Append one audit row; it commits (or rolls back) with the change it describes. `marking` and
    `previous` are the record's (sensitivity, owner) after and before the change (service.records.spec)."""
    # On the driver, as one prepared statement: a write's last round trip, not two through the session.
    connection = await driver_connection(session)
    await connection.execute(
        _RECORD_CHANGE,
        resource,
        str(record_id),
        action,
        version,
        actor.key_id,
        actor.name,
        current_request_id(),
        json.dumps(changes),
        actor.subject,
        actor.issuer,
        *marking,
        *previous,
    )
