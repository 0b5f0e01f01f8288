"""Key management used by the CLI (there is deliberately no HTTP route that manages keys)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.api_keys import hash_key, new_key
from service.models import ApiKey, Component
from service.schemas.vocab import Role, Sensitivity


def default_clearance(role: Role) -> Sensitivity:
    """OIA's admins read everything; a component's systems and readers what is not LES."""
    return Sensitivity.les if role is Role.admin else Sensitivity.sbu


async def create_key(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    component: str | None,
    clearance: Sensitivity | None = None,
    expires_in_days: float | None = None,
) -> tuple[uuid.UUID, str]:
    """Store a new key's hash; return its id and the key itself (shown once, never stored)."""
    if (role is Role.editor) != (component is not None):
        raise ValueError("--component is required for editors and only for editors")
    if component is not None and await session.get(Component, component) is None:
        raise ValueError(f"unknown component {component!r}")
    if expires_in_days is not None and not 0 <= expires_in_days <= 36500:
        raise ValueError("--expires-in must be a number of days from 0 to 36500")
    expires_at = None
    if expires_in_days is not None:
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)
    key = new_key()
    row = ApiKey(
        name=name,
        role=role.value,
        component=component,
        key_hash=hash_key(key),
        clearance=(clearance or default_clearance(role)).value,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row.id, key


async def list_keys(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(select(ApiKey).order_by(ApiKey.created_at))).scalars()
    return [
        {
            "id": str(k.id),
            "name": k.name,
            "role": k.role,
            "component": k.component,
            "created_at": k.created_at.isoformat(),
            "revoked_at": _iso(k.revoked_at),
            "clearance": k.clearance,
            "expires_at": _iso(k.expires_at),
            "last_used_at": _iso(k.last_used_at),
        }
        for k in rows
    ]


async def revoke_key(session: AsyncSession, key_id: uuid.UUID) -> bool:
    """Stamp the key revoked; False when no live key has that id."""
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiKey.id)
    )
    return result.first() is not None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
