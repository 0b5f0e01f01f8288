"""Postings: positions DHS holds abroad (never the people in them)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import ArchiveMixin, Base, RecordMixin, uuid7
from service.schemas.vocab import (
    NSDD38_CLEARED,
    EmploymentCategory,
    Nsdd38Status,
    PostingRole,
    PostingStatus,
    Sensitivity,
    in_list,
)

# The rows of the deadlines' two posting branches (service.deadlines), and their indexes' predicates:
# a query names them as the same constants so that the planner can prove a partial index applies.
NSDD38_DUE_ROWS = "nsdd38_status = 'submitted' AND archived_at IS NULL"
TOUR_END_DUE_ROWS = "status = 'filled' AND tour_end IS NOT NULL AND archived_at IS NULL"


class Posting(RecordMixin, ArchiveMixin, Base):
    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint(in_list("role", PostingRole), name="role"),
        CheckConstraint(in_list("employment_category", EmploymentCategory), name="category"),
        CheckConstraint(in_list("status", PostingStatus), name="status"),
        CheckConstraint(in_list("nsdd38_status", Nsdd38Status), name="nsdd38_status"),
        CheckConstraint(in_list("sensitivity", Sensitivity), name="sensitivity"),
        CheckConstraint("fte > 0 AND fte <= 1", name="fte_range"),
        CheckConstraint(
            "tour_end IS NULL OR tour_start IS NULL OR tour_end >= tour_start", name="tour_ordered"
        ),
        CheckConstraint("(annual_cost IS NULL) = (currency IS NULL)", name="cost_has_currency"),
        CheckConstraint("annual_cost IS NULL OR annual_cost >= 0", name="cost_not_negative"),
        CheckConstraint(
            f"status <> 'filled' OR {in_list('nsdd38_status', NSDD38_CLEARED)}",
            name="filled_needs_nsdd38",
        ),
        Index("ix_postings_component_id", "component", "id"),
        Index("ix_postings_post_id_id", "post_id", "id"),
        Index("ix_postings_status_id", "status", "id"),
        Index("ix_postings_updated_at_id", "updated_at", "id"),
        Index("ix_postings_created_at_id", "created_at", "id"),
        Index("ix_postings_tour_start_id", "tour_start", "id"),
        Index("ix_postings_tour_end_id", "tour_end", "id"),
        Index("ix_postings_activity_ids", "activity_ids", postgresql_using="gin"),
        # The deadlines in due order: NSDD-38 decisions pending (45 days after submission) and tours ending.
        Index(
            "ix_postings_nsdd38_due",
            "nsdd38_submitted_on",
            "id",
            postgresql_where=text(NSDD38_DUE_ROWS),
        ),
        Index(
            "ix_postings_tour_end_due",
            "tour_end",
            "id",
            postgresql_where=text(TOUR_END_DUE_ROWS),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    position_number: Mapped[str] = mapped_column(String(50), nullable=False, unique=True)
    component: Mapped[str] = mapped_column(ForeignKey("components.code"), nullable=False)
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id"), nullable=False)
    position_title: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    employment_category: Mapped[str] = mapped_column(String(30), nullable=False)
    fte: Mapped[Decimal] = mapped_column(Numeric(3, 2), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    nsdd38_status: Mapped[str] = mapped_column(String(20), nullable=False)
    nsdd38_decided_on: Mapped[date | None] = mapped_column(Date)
    tour_start: Mapped[date | None] = mapped_column(Date)
    tour_end: Mapped[date | None] = mapped_column(Date)
    annual_cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    sensitivity: Mapped[str] = mapped_column(String(10), nullable=False, server_default="sbu")
    activity_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, server_default="{}")
    # The day nsdd38_status last became `submitted` (NULL in any other status). Kept by a trigger
    # (migration 0006) on every write path, imports included; not a client field.
    nsdd38_submitted_on: Mapped[date | None] = mapped_column(Date)
