"""SQL for subscriptions and their deliveries log; who owns what is decided here (owner-scoped)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.models import WebhookDelivery, WebhookSubscription
from service.webhooks.secret_box import SecretBox
from service.webhooks.settings import get_webhook_settings

SUBS = WebhookSubscription.__table__
DELIVERIES = WebhookDelivery.__table__
_DB_KEY = text("SELECT value FROM service_secrets WHERE name = 'webhook_key'")
_boxes: dict[str, SecretBox] = {}


async def secret_box(session: AsyncSession) -> SecretBox:
    """WEBHOOK_SECRET_KEY's box, else the database's own key (migration 0009), read once."""
    settings = get_webhook_settings()
    if settings.webhook_secret_key is not None:
        return settings.secret_box()
    bind = session.get_bind()
    database = str(getattr(bind, "url", None) or bind.engine.url)  # one key per database
    if database not in _boxes:
        key = await session.scalar(_DB_KEY)
        _boxes[database] = SecretBox([str(key)])
    return _boxes[database]


def owned_by(principal: Principal) -> ColumnElement[bool]:
    """Subscriptions this principal may see and change: its own (an admin: every one)."""
    if principal.is_admin:
        return true()
    if principal.key_id is not None:
        return SUBS.c.key_id == principal.key_id
    return and_(SUBS.c.owner_subject == principal.subject, SUBS.c.owner_issuer == principal.issuer)


def _live(principal: Principal) -> ColumnElement[bool]:
    return and_(SUBS.c.deleted_at.is_(None), owned_by(principal))


async def unknown_components(session: AsyncSession, codes: list[str]) -> list[str]:
    """The codes that are not components (a filter naming one could never match)."""
    if not codes:
        return []
    known = set((await session.scalars(text("SELECT code FROM components"))).all())
    return [c for c in codes if c not in known]


async def create(session: AsyncSession, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a subscription for `principal`; the caller commits."""
    owner = {
        "key_id": principal.key_id,
        "owner_subject": principal.subject if principal.key_id is None else None,
        "owner_issuer": principal.issuer if principal.key_id is None else None,
        "owner_name": principal.name[:100],
        "owner_role": principal.role.value,
        "owner_component": principal.component,
        "owner_clearance": principal.clearance.value,
    }
    row = (await session.execute(insert(SUBS).values(**owner, **values).returning(SUBS))).mappings().one()
    return dict(row)


async def get(
    session: AsyncSession, principal: Principal, webhook_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    """One live subscription the principal may see, or None (another's is the same as none)."""
    stmt = select(SUBS).where(SUBS.c.id == webhook_id, _live(principal))
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()
    return dict(row) if row else None


async def list_page(
    session: AsyncSession, principal: Principal, after: uuid.UUID | None, limit: int
) -> list[dict[str, Any]]:
    """Up to limit + 1 subscriptions after `after`, oldest first (ids are time-ordered)."""
    stmt = select(SUBS).where(_live(principal))
    if after is not None:
        stmt = stmt.where(SUBS.c.id > after)
    rows = (await session.execute(stmt.order_by(SUBS.c.id).limit(limit + 1))).mappings().all()
    return [dict(r) for r in rows]


async def change(session: AsyncSession, webhook_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """Apply changed fields, bump the version; the caller has locked the row and commits."""
    stmt = (
        update(SUBS)
        .where(SUBS.c.id == webhook_id)
        .values(**values, version=SUBS.c.version + 1, updated_at=func.now())
        .returning(SUBS)
    )
    return dict((await session.execute(stmt)).mappings().one())


async def deliveries_page(
    session: AsyncSession, webhook_id: uuid.UUID, before: uuid.UUID | None, limit: int
) -> list[dict[str, Any]]:
    """Up to limit + 1 deliveries, newest first (what an operator looks at first)."""
    stmt = select(DELIVERIES).where(DELIVERIES.c.webhook_id == webhook_id)
    if before is not None:
        stmt = stmt.where(DELIVERIES.c.id < before)
    rows = (await session.execute(stmt.order_by(DELIVERIES.c.id.desc()).limit(limit + 1))).mappings().all()
    return [dict(r) for r in rows]


async def delivery(
    session: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any] | None:
    stmt = select(DELIVERIES).where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.webhook_id == webhook_id)
    row = (await session.execute(stmt)).mappings().first()
    return dict(row) if row else None
