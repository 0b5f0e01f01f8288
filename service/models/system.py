"""The service's own tables: API keys, the audit log (also the change feed), idempotency records,
and OIA's marks on overlapping activities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, uuid7
from service.schemas.vocab import OverlapStatus, Role, Sensitivity, in_list


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(in_list("role", Role), name="role"),
        CheckConstraint("(role = 'editor') = (component IS NOT NULL)", name="editor_has_component"),
        CheckConstraint(in_list("clearance", Sensitivity), name="clearance"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    component: Mapped[str | None] = mapped_column(ForeignKey("components.code"))
    # SHA-256 of the key: the key itself is shown once and never stored.
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The most sensitive marking the key may read (public < sbu < les).
    clearance: Mapped[str] = mapped_column(String(10), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stamped when a lookup misses the key cache, at most once a minute: accurate to that.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only; the app's role may only insert and read (see the migration's trigger)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_record", "resource", "record_id", "seq"),
        Index("ix_audit_log_resource_seq", "resource", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    resource: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_name: Mapped[str] = mapped_column(String(100), nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # A token's subject and issuer (key_id is then null).
    actor_subject: Mapped[str | None] = mapped_column(String(255))
    actor_issuer: Mapped[str | None] = mapped_column(String(255))
    # The record's marking and owner after and before the change (null: an unmarked resource), so
    # the feed and histories filter each entry, and see `withdrawn`, without today's rows.
    sensitivity: Mapped[str | None] = mapped_column(String(10))
    owner: Mapped[str | None] = mapped_column(String(16))
    prev_sensitivity: Mapped[str | None] = mapped_column(String(10))
    prev_owner: Mapped[str | None] = mapped_column(String(16))


class IdempotencyRecord(Base):
    """The first response to a POST carrying an Idempotency-Key, stored in the write's transaction."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    key_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class OverlapMark(Base):
    """OIA's judgement on a pair of overlapping activities (activity_a < activity_b)."""

    __tablename__ = "overlap_marks"
    __table_args__ = (
        CheckConstraint(in_list("status", OverlapStatus), name="status"),
        CheckConstraint("activity_a < activity_b", name="pair_ordered"),
    )

    activity_a: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    activity_b: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_by: Mapped[str] = mapped_column(String(100), nullable=False)


class ServiceSecret(Base):
    """Secrets every process of the service shares, made once by a migration (the cursor key)."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


__all__ = ["ApiKey", "AuditEntry", "IdempotencyRecord", "OverlapMark", "ServiceSecret", "uuid7"]
