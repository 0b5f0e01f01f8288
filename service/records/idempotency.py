"""Idempotency-Key for POST (and PUT): the first response is stored in the same transaction as the write.

Flow inside the write's transaction: take a transaction-scoped advisory lock on (API key, idempotency
key) without waiting - if another request holds it, that one is still running: 409. Holding it, look
for a stored response: same request -> replay it, other request -> 422. Otherwise do the write and store
the response before commit. A write that fails stores nothing, so a retry after a 503 runs again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi.responses import Response
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import Conflict, Unprocessable
from service.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
_REPLAYED_HEADERS = ("Location", "ETag")


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """Canonical JSON, so whitespace and key order do not make a retry look different."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


# Keys are scoped to who sent them. An API key has an id; an agency token (or the CLI) has none, so its
# scope is a stable id made from its issuer and subject (its name when it has no subject).
_SCOPE = uuid.UUID("6f1d0c8e-3b4a-5e7f-9a2b-0c1d2e3f4a5b")


def scope_of(principal: Principal) -> uuid.UUID:
    """The id idempotency keys are stored under for this caller."""
    if principal.key_id is not None:
        return principal.key_id
    who = f"{principal.issuer}\n{principal.subject}" if principal.subject else f"system\n{principal.name}"
    return uuid.uuid5(_SCOPE, who)


def _lock_id(principal: Principal, key: str) -> int:
    digest = hashlib.sha256(f"{scope_of(principal)}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def begin(
    session: AsyncSession, principal: Principal, key: str | None, fingerprint: str
) -> Response | None:
    """The stored response to replay, or None when this request should run."""
    if key is None:
        return None
    locked = await session.scalar(select(func.pg_try_advisory_xact_lock(_lock_id(principal, key))))
    if not locked:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.")
    table = IdempotencyRecord.__table__
    where = (table.c.key_id == scope_of(principal), table.c.idempotency_key == key)
    stored = (await session.execute(select(table).where(*where))).first()
    if stored is None:
        return None
    if stored.created_at < await session.scalar(select(func.now() - RETENTION)):
        await session.execute(delete(table).where(*where))  # expired: the key starts afresh
        return None
    if stored.request_hash != fingerprint:
        raise Unprocessable("This Idempotency-Key was already used with a different request; use a new key.")
    headers = {**stored.headers, "Idempotent-Replayed": "true"}
    return Response(
        stored.body, status_code=stored.status_code, headers=headers, media_type="application/json"
    )


async def remember(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    fingerprint: str,
    response: Response,
) -> None:
    """Store the response to replay; commits with the write."""
    if key is None:
        return
    headers = {h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers}
    await session.execute(
        insert(IdempotencyRecord).values(
            key_id=scope_of(principal),
            idempotency_key=key,
            request_hash=fingerprint,
            status_code=response.status_code,
            headers=headers,
            body=bytes(response.body).decode(),
        )
    )
