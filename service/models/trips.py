"""Trips: U.S.-based staff travelling abroad for a while (a count of travellers, never their names)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import ArchiveMixin, Base, RecordMixin, uuid7
from service.schemas.vocab import CLEARANCE_PENDING, ClearanceStatus, Sensitivity, in_list

PENDING = in_list("clearance_status", CLEARANCE_PENDING)
# The trip_clearance deadlines' rows (service.deadlines) and their index's predicate, as one constant.
CLEARANCE_DUE_ROWS = f"{PENDING} AND archived_at IS NULL"


class Trip(RecordMixin, ArchiveMixin, Base):
    __tablename__ = "trips"
    __table_args__ = (
        CheckConstraint(in_list("clearance_status", ClearanceStatus), name="clearance_status"),
        CheckConstraint(in_list("sensitivity", Sensitivity), name="sensitivity"),
        CheckConstraint("travelers BETWEEN 1 AND 500", name="travelers_range"),
        CheckConstraint("return_on >= depart_on", name="dates_ordered"),
        CheckConstraint("cardinality(countries) >= 1", name="has_country"),
        # The clearance rules of service.trips.schemas, kept by the database too.
        CheckConstraint(
            "clearance_status IN ('not_requested', 'not_required') OR clearance_requested_on IS NOT NULL",
            name="requested_on_given",
        ),
        CheckConstraint(
            "clearance_status <> 'not_requested' OR clearance_requested_on IS NULL",
            name="not_requested_has_no_date",
        ),
        CheckConstraint(
            "clearance_status NOT IN ('approved', 'denied') OR clearance_decided_on IS NOT NULL",
            name="decided_on_given",
        ),
        CheckConstraint(f"NOT {PENDING} OR clearance_decided_on IS NULL", name="undecided_has_no_date"),
        CheckConstraint(
            "clearance_decided_on IS NULL OR clearance_requested_on IS NULL"
            " OR clearance_decided_on >= clearance_requested_on",
            name="decided_after_requested",
        ),
        Index("ix_trips_component_id", "component", "id"),
        Index("ix_trips_clearance_status_id", "clearance_status", "id"),
        Index("ix_trips_updated_at_id", "updated_at", "id"),
        Index("ix_trips_created_at_id", "created_at", "id"),
        Index("ix_trips_depart_on_id", "depart_on", "id"),
        Index("ix_trips_return_on_id", "return_on", "id"),
        Index("ix_trips_countries", "countries", postgresql_using="gin"),
        Index("ix_trips_post_ids", "post_ids", postgresql_using="gin"),
        Index("ix_trips_activity_ids", "activity_ids", postgresql_using="gin"),
        # The trip_clearance deadlines in due order (due = depart_on - CLEARANCE_LEAD_DAYS).
        Index(
            "ix_trips_clearance_due",
            "depart_on",
            "id",
            postgresql_where=text(CLEARANCE_DUE_ROWS),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    reference: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    component: Mapped[str] = mapped_column(ForeignKey("components.code"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(500), nullable=False)
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), nullable=False)
    post_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, server_default="{}")
    activity_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), nullable=False, server_default="{}")
    travelers: Mapped[int] = mapped_column(Integer, nullable=False)
    depart_on: Mapped[date] = mapped_column(Date, nullable=False)
    return_on: Mapped[date] = mapped_column(Date, nullable=False)
    clearance_status: Mapped[str] = mapped_column(String(20), nullable=False)
    clearance_requested_on: Mapped[date | None] = mapped_column(Date)
    clearance_decided_on: Mapped[date | None] = mapped_column(Date)
    sensitivity: Mapped[str] = mapped_column(String(10), nullable=False)
