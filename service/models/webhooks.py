"""Webhook subscriptions, their deliveries, and the dispatcher's position in the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, uuid7


class WebhookSubscription(Base):
    """Owned by the principal that made it: an API key (key_id) or a token (issuer + subject).

    The owner's role, component and clearance are kept as they were at subscribe time; for a key they
    are read again from api_keys at each delivery (a revoked or expired key's subscription sends nothing).
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint("key_id IS NOT NULL OR owner_subject IS NOT NULL", name="has_owner"),
        Index("ix_webhook_subscriptions_key_id", "key_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
    owner_subject: Mapped[str | None] = mapped_column(String(255))
    owner_issuer: Mapped[str | None] = mapped_column(String(255))
    owner_name: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_role: Mapped[str] = mapped_column(String(10), nullable=False)
    owner_component: Mapped[str | None] = mapped_column(String(16))
    owner_clearance: Mapped[str] = mapped_column(String(10), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    resources: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    components: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    actions: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Fernet-sealed `whsec_...` (service.webhooks.secret_box): it must be readable again to sign.
    secret_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first failed attempt since the last success: auto-disable counts from here.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    """One event for one subscription; `id` gives the `webhook-id` header, the same on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        UniqueConstraint("webhook_id", "event_seq", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscriptions.id"), nullable=False)
    event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event_type: Mapped[str] = mapped_column(String(60), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="pending")
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class WebhookCursor(Base):
    """One row: the last audit seq the dispatcher has turned into deliveries."""

    __tablename__ = "webhook_cursor"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
