"""The principal a subscription delivers as: its owner, as that owner is now (clearance at send time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.schemas.vocab import Role, Sensitivity

_KEYS = text(
    "SELECT id, name, role, component, clearance, revoked_at, expires_at FROM api_keys WHERE id = ANY(:ids)"
)
DEAD_OWNER = "not sent: the subscription's API key is revoked or expired"


async def owners(session: AsyncSession, subs: list[dict[str, Any]]) -> dict[Any, Principal | None]:
    """Subscription id -> the principal to read as, or None when its key no longer works.

    A key's role and clearance are read again now (a lowered clearance applies at once); a token's
    are the ones it had when it subscribed (the registry cannot ask the identity provider later).
    """
    ids = [s["key_id"] for s in subs if s["key_id"] is not None]
    keys = {r.id: r for r in (await session.execute(_KEYS, {"ids": ids})).all()} if ids else {}
    now = datetime.now(UTC)
    found: dict[Any, Principal | None] = {}
    for sub in subs:
        if sub["key_id"] is None:
            found[sub["id"]] = Principal(
                key_id=None,
                name=sub["owner_name"],
                role=Role(sub["owner_role"]),
                component=sub["owner_component"],
                clearance=Sensitivity(sub["owner_clearance"]),
                subject=sub["owner_subject"],
                issuer=sub["owner_issuer"],
            )
            continue
        key = keys.get(sub["key_id"])
        live = key is not None and key.revoked_at is None and (key.expires_at is None or key.expires_at > now)
        found[sub["id"]] = (
            Principal(
                key_id=key.id,
                name=key.name,
                role=Role(key.role),
                component=key.component,
                clearance=Sensitivity(key.clearance),
            )
            if live and key is not None
            else None
        )
    return found
