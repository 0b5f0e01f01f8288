"""International activities: what DHS does abroad."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import ArchiveMixin, Base, RecordMixin, uuid7
from service.schemas.vocab import ActivityStatus, ActivityType, Sensitivity, in_list


class Activity(RecordMixin, ArchiveMixin, Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(in_list("activity_type", ActivityType), name="activity_type"),
        CheckConstraint(in_list("status", ActivityStatus), name="status"),
        CheckConstraint(in_list("sensitivity", Sensitivity), name="sensitivity"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"
        ),
        CheckConstraint("(estimated_cost IS NULL) = (currency IS NULL)", name="cost_has_currency"),
        CheckConstraint("estimated_cost IS NULL OR estimated_cost >= 0", name="cost_not_negative"),
        Index("ix_activities_lead_component_id", "lead_component", "id"),
        Index("ix_activities_status_id", "status", "id"),
        Index("ix_activities_type_id", "activity_type", "id"),
        Index("ix_activities_updated_at_id", "updated_at", "id"),
        Index("ix_activities_created_at_id", "created_at", "id"),
        Index("ix_activities_title_id", "title", "id"),
        Index("ix_activities_start_date_id", "start_date", "id"),
        Index("ix_activities_end_date_id", "end_date", "id"),
        Index("ix_activities_estimated_cost_id", "estimated_cost", "id"),
        Index("ix_activities_countries", "countries", postgresql_using="gin"),
        Index(
            "ix_activities_partners",
            "foreign_partners",
            postgresql_using="gin",
            postgresql_ops={"foreign_partners": "jsonb_path_ops"},
        ),
        Index("ix_activities_search", "search", postgresql_using="gin"),
        Index(
            "ix_activities_live_goals",
            "strategic_goal_codes",
            postgresql_include=["estimated_cost", "currency"],
            postgresql_where=text("status IN ('planned', 'active', 'suspended') AND archived_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    identifier: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    activity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    lead_component: Mapped[str] = mapped_column(ForeignKey("components.code"), nullable=False)
    participating_components: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), nullable=False, server_default="{}"
    )
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), nullable=False)
    post_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, server_default="{}")
    foreign_partners: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default="[]")
    strategic_goal_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), nullable=False, server_default="{}"
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    fiscal_year: Mapped[int | None] = mapped_column(SmallInteger)
    sensitivity: Mapped[str] = mapped_column(String(10), nullable=False)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False, server_default="{}")
    # Full-text document (title, tags, partner names, description); built by the database (migration 0003).
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed("oia_activity_search(title, description, tags, foreign_partners)", persisted=True)
    )
