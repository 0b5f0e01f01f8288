"""Key management used by the CLI (there is deliberately no HTTP route that manages keys)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import hash_key, new_key
from service.models import ApiKey, Component
from service.schemas.vocab import Role


async def create_key(
    session: AsyncSession, *, name: str, role: Role, component: str | None
) -> tuple[uuid.UUID, str]:
    """Store a new key's hash; return its id and the key itself (shown once, never stored)."""
    if (role is Role.editor) != (component is not None):
        raise ValueError("--component is required for editors and only for editors")
    if component is not None and await session.get(Component, component) is None:
        raise ValueError(f"unknown component {component!r}")
    key = new_key()
    row = ApiKey(name=name, role=role.value, component=component, key_hash=hash_key(key))
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
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
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
