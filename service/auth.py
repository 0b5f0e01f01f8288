"""API keys: hashing, lookup with a short cache, roles, and the dependencies routes use.

A key is `oia_` + 256 random bits, shown once; only its SHA-256 is stored. Lookups are cached for
`AUTH_CACHE_SECONDS` (default 5 s) so checking a key does not cost a database round trip on every
request; a revoked key therefore stops working within that many seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import get_settings
from service.db import lookup_session
from service.errors import Forbidden, Unauthorized
from service.models import ApiKey
from service.schemas.vocab import Role, Sensitivity
from service.web.context import set_key_id

KEY_PREFIX = "oia_"
# The OpenAPI document declares this scheme on every /api operation (service/openapi.py); the header is
# read here directly, not through fastapi.security.HTTPBearer, which is one more dependency to solve
# on every request.
SECURITY_SCHEME = {
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key made with `oia keys create`",
    }
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and name (or a token's subject and issuer), its role, (for
    editors) its component, and its clearance: the most sensitive marking it may read."""

    key_id: uuid.UUID | None  # None: a token, the CLI or a seed, not an API key
    name: str
    role: Role
    component: str | None
    clearance: Sensitivity = Sensitivity.public
    subject: str | None = None  # a token's `sub`
    issuer: str | None = None  # a token's `iss`

    @classmethod
    def system(cls, name: str) -> Principal:
        """The CLI, a seed or a benchmark acting as an admin with no key behind it."""
        return cls(key_id=None, name=name, role=Role.admin, component=None, clearance=Sensitivity.les)

    def can_read(self, sensitivity: str | None, owner: str | None) -> bool:
        """A record marked above the caller's clearance is invisible, unless the caller is an
        editor of its owning component (owners always see their own)."""
        if sensitivity is None or Sensitivity(sensitivity).rank <= self.clearance.rank:
            return True
        return self.role is Role.editor and owner is not None and owner == self.component

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def ensure_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only an admin key may do this.")

    def ensure_can_write(self, component: str) -> None:
        """Editors write only records owned by their own component; readers write nothing."""
        if self.is_admin:
            return
        if self.role is Role.reader:
            raise Forbidden("A reader key cannot write.")
        if component != self.component:
            raise Forbidden(f"An editor for {self.component} cannot write a record owned by {component}.")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyCache:
    """hash -> (principal or None for unknown/revoked, expiry on the monotonic clock)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Principal | None, float]] = {}

    def get(self, key_hash: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(key_hash)
        if entry is None or entry[1] < time.monotonic():
            return False, None
        return True, entry[0]

    def put(self, key_hash: str, principal: Principal | None, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._entries) > 10_000:  # bounded: random bad keys must not grow memory
            self._entries.clear()
        self._entries[key_hash] = (principal, time.monotonic() + ttl)

    def clear(self) -> None:
        self._entries.clear()


key_cache = KeyCache()


async def lookup_key(session: AsyncSession, key_hash: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.component).where(
                ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    return Principal(key_id=row.id, name=row.name, role=Role(row.role), component=row.component)


async def current_principal(request: Request) -> Principal:
    """The caller behind `Authorization: Bearer <key>`, or 401."""
    challenge = {"WWW-Authenticate": 'Bearer realm="oia-registry"'}
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX):
        raise Unauthorized("A valid API key is required (Authorization: Bearer <key>).", headers=challenge)
    key_hash = hash_key(token)
    hit, principal = key_cache.get(key_hash)
    if not hit:
        # A session of its own, closed at once: were the lookup to hold the request's session, 16
        # requests missing the cache together would each pin a connection while waiting for a
        # second one (the pool deadlocks until its timeout).
        async with lookup_session(request.app) as session:
            principal = await lookup_key(session, key_hash)
        key_cache.put(key_hash, principal, get_settings().auth_cache_seconds)
    if principal is None:
        raise Unauthorized("The API key is unknown or revoked.", headers=challenge)
    set_key_id(principal.key_id)
    return principal


CurrentKey = Annotated[Principal, Depends(current_principal)]
