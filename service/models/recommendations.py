"""Recommendations of the Inspector General (and GAO), and their append-only status updates."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy import text as sql  # `text` is also a column of this table
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import ArchiveMixin, Base, RecordMixin, uuid7
from service.schemas.vocab import Concurrence, RecommendationStatus, in_list

# The deadlines' two recommendation branches (service.deadlines): their rows, as the very SQL of their
# partial indexes' predicates, and OMB Circular A-50's due date (resolve within six months of the
# report), as the very expression of its index.
TARGET_DUE_ROWS = (
    "status IN ('open_unresolved', 'open_resolved') AND target_date IS NOT NULL AND archived_at IS NULL"
)
RESOLUTION_DUE_ROWS = "status = 'open_unresolved' AND archived_at IS NULL"
A50_DUE = "(((report_date + '6 mons'::interval))::date)"  # as PostgreSQL prints it (alembic check)


class Recommendation(RecordMixin, ArchiveMixin, Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("report_number", "number", name="uq_recommendations_report_number"),
        CheckConstraint(in_list("concurrence", Concurrence), name="concurrence"),
        CheckConstraint(in_list("status", RecommendationStatus), name="status"),
        CheckConstraint("number > 0", name="number_positive"),
        Index("ix_recommendations_component_id", "responsible_component", "id"),
        Index("ix_recommendations_status_id", "status", "id"),
        Index("ix_recommendations_updated_at_id", "updated_at", "id"),
        Index("ix_recommendations_created_at_id", "created_at", "id"),
        Index("ix_recommendations_target_date_id", "target_date", "id"),
        Index("ix_recommendations_activity_ids", "activity_ids", postgresql_using="gin"),
        Index("ix_recommendations_posting_ids", "posting_ids", postgresql_using="gin"),
        Index("ix_recommendations_search", "search", postgresql_using="gin"),
        Index("ix_recommendations_target_due", "target_date", "id", postgresql_where=sql(TARGET_DUE_ROWS)),
        Index("ix_recommendations_a50_due", sql(A50_DUE), "id", postgresql_where=sql(RESOLUTION_DUE_ROWS)),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    report_number: Mapped[str] = mapped_column(String(40), nullable=False)
    report_title: Mapped[str] = mapped_column(String(300), nullable=False)
    report_date: Mapped[date] = mapped_column(Date, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    text_is_summary: Mapped[bool] = mapped_column(Boolean, nullable=False)
    responsible_component: Mapped[str] = mapped_column(ForeignKey("components.code"), nullable=False)
    concurrence: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    priority: Mapped[bool] = mapped_column(Boolean, nullable=False)
    corrective_action_plan: Mapped[str | None] = mapped_column(Text)
    target_date: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    activity_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, server_default="{}")
    posting_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, server_default="{}")
    # Full-text document (title, text); built by the database (migration 0003).
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed('oia_recommendation_search(title, "text")', persisted=True)
    )


class RecommendationUpdate(Base):
    """One status move; rows are only ever inserted."""

    __tablename__ = "recommendation_updates"
    __table_args__ = (
        CheckConstraint(in_list("to_status", RecommendationStatus), name="to_status"),
        Index("ix_recommendation_updates_rec_at", "recommendation_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    recommendation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recommendations.id"), nullable=False)
    from_status: Mapped[str] = mapped_column(String(30), nullable=False)
    to_status: Mapped[str] = mapped_column(String(30), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_name: Mapped[str] = mapped_column(String(100), nullable=False)
    actor_subject: Mapped[str | None] = mapped_column(String(255))  # a token's sub and iss
    actor_issuer: Mapped[str | None] = mapped_column(String(255))
