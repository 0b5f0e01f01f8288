"""API keys: made, hashed, looked up (with a short cache), stamped when used.

A key is `oia_` + 256 random bits, shown once; only its SHA-256 is stored. Lookups are cached for
`AUTH_CACHE_SECONDS` (default 5 s) so checking a key does not cost a database round trip on every
request; a revoked or expired key therefore stops working within that many seconds. A lookup that
misses the cache also stamps `last_used_at`, at most once a minute per key (so the stamp is accurate
to a minute plus the cache time, and a busy key does not write on every request).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

KEY_PREFIX = "oia_"
V = TypeVar("V")


@dataclass(frozen=True)
class KeyRecord:
    """What the database says about a live key."""

    id: uuid.UUID
    name: str
    role: str
    component: str | None
    clearance: str


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TtlCache(Generic[V]):
    """hash -> (value or None for unknown, expiry on the monotonic clock); bounded."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, tuple[V | None, float]] = {}
        self.max_entries = max_entries

    def get(self, key: str) -> tuple[bool, V | None]:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return False, None
        return True, entry[0]

    def put(self, key: str, value: V | None, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._entries) > self.max_entries:  # random bad credentials must not grow memory
            self._entries.clear()
        self._entries[key] = (value, time.monotonic() + ttl)

    def clear(self) -> None:
        self._entries.clear()


# One statement: find the live key and, when its stamp is over a minute old, stamp it.
LOOKUP = text(
    """
    WITH found AS (
        SELECT id, name, role, component, clearance, last_used_at FROM api_keys
        WHERE key_hash = :key_hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
    ), stamped AS (
        UPDATE api_keys SET last_used_at = now()
        WHERE id = (SELECT id FROM found)
          AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
    )
    SELECT id, name, role, component, clearance FROM found
    """
)


async def lookup_key(session: AsyncSession, key_hash: str) -> KeyRecord | None:
    """The live (not revoked, not expired) key with this hash, or None."""
    row = (await session.execute(LOOKUP, {"key_hash": key_hash})).first()
    return KeyRecord(*row) if row else None
