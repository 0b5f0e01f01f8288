"""Every record whatever its marking, for the views' counts: OIA's picture stays whole (officials,
positions, activities per goal, travellers abroad), while anything that names a record is read from
the tables themselves, where clearance applies. These are migrations 0005's and 0006's views, owned
by the migration role, so row-level security does not filter them; they carry only the columns
counts need."""

from __future__ import annotations

from sqlalchemy import Date, DateTime, Integer, Numeric, String, Uuid, column, table
from sqlalchemy.dialects.postgresql import ARRAY

ALL_POSTINGS = table(
    "all_postings",
    column("id", Uuid),
    column("component", String),
    column("post_id", Uuid),
    column("status", String),
    column("fte", Numeric),
    column("tour_start", Date),
    column("tour_end", Date),
    column("archived_at", DateTime(timezone=True)),
    schema="coordination",
)

ALL_ACTIVITIES = table(
    "all_activities",
    column("id", Uuid),
    column("lead_component", String),
    column("status", String),
    column("strategic_goal_codes", ARRAY(String)),
    column("estimated_cost", Numeric),
    column("currency", String),
    column("archived_at", DateTime(timezone=True)),
    schema="coordination",
)

ALL_TRIPS = table(
    "all_trips",
    column("id", Uuid),
    column("component", String),
    column("countries", ARRAY(String)),
    column("travelers", Integer),
    column("depart_on", Date),
    column("return_on", Date),
    column("clearance_status", String),
    column("archived_at", DateTime(timezone=True)),
    schema="coordination",
)
