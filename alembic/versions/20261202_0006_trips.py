"""Trips abroad, and what the deadlines list needs from postings.

- `trips`: U.S.-based staff travelling abroad (a count of travellers, never names), with their
  electronic country clearance (eCC) and the CHECKs that mirror service.trips.schemas;
  ix_trips_clearance_due walks the pending clearances in due order. Trips carry a marking, so they
  get migration 0005's treatment: row-level security for the service role (the same oia_can_read
  rule as activities and postings; no DELETE), and `coordination.all_trips`, a view owned by the
  migration role with only what the views' counts need (travellers abroad count every trip).
- `postings.nsdd38_submitted_on`: the day the NSDD-38 request last became `submitted` (NULL in any
  other status), so "decision due 45 days later" is one indexed column instead of a search of the
  audit log per posting. A BEFORE trigger keeps it on every write path (API, PUT, COPY imports),
  firing only when the status is or becomes submitted. Existing submitted postings take the day of
  their newest audit entry that set `submitted` (else the day they were last updated).
- Partial indexes for the deadlines' branches: submitted NSDD-38 requests by that day, filled
  postings by tour_end, open recommendations by target_date and unresolved ones by their OMB A-50
  due date (report_date + 6 months, an expression index).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "clearance_status IN ('not_requested', 'requested')"
ROLE = "oia_service"  # migration 0005's service role
CLEARANCE = (
    "ALTER TABLE trips ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY clearance_read ON trips FOR SELECT TO {ROLE} USING (oia_can_read(sensitivity, component))",
    f"CREATE POLICY clearance_insert ON trips FOR INSERT TO {ROLE} WITH CHECK (true)",
    f"CREATE POLICY clearance_update ON trips FOR UPDATE TO {ROLE} "
    "USING (oia_can_read(sensitivity, component)) WITH CHECK (true)",
    # Nothing is ever deleted through the API (0005's default privileges granted DELETE).
    f"REVOKE DELETE, TRUNCATE ON trips FROM {ROLE}",
    "CREATE VIEW coordination.all_trips AS SELECT id, component, countries, travelers, depart_on, return_on, "
    "clearance_status, archived_at FROM public.trips",
    f"GRANT SELECT ON coordination.all_trips TO {ROLE}",
)

SUBMITTED_FUNCTION = """
CREATE FUNCTION oia_posting_nsdd38_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.nsdd38_submitted_on := CASE WHEN NEW.nsdd38_status = 'submitted' THEN current_date END;
    RETURN NEW;
END;
$$
"""
SUBMITTED_TRIGGERS = (
    "CREATE TRIGGER nsdd38_submitted_insert BEFORE INSERT ON postings FOR EACH ROW"
    " WHEN (NEW.nsdd38_status = 'submitted') EXECUTE FUNCTION oia_posting_nsdd38_submitted()",
    "CREATE TRIGGER nsdd38_submitted_update BEFORE UPDATE OF nsdd38_status ON postings FOR EACH ROW"
    " WHEN (OLD.nsdd38_status IS DISTINCT FROM NEW.nsdd38_status)"
    " EXECUTE FUNCTION oia_posting_nsdd38_submitted()",
)
BACKFILL = """
UPDATE postings AS p SET nsdd38_submitted_on = coalesce(
    (SELECT CAST(a.at AT TIME ZONE 'UTC' AS date) FROM audit_log AS a
     WHERE a.resource = 'postings' AND a.record_id = CAST(p.id AS text)
       AND a.changes -> 'nsdd38_status' ->> 'after' = 'submitted'
     ORDER BY a.seq DESC LIMIT 1),
    CAST(p.updated_at AT TIME ZONE 'UTC' AS date))
WHERE p.nsdd38_status = 'submitted'
"""


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _checks() -> list[sa.CheckConstraint]:
    checks = {
        "clearance_status": "clearance_status IN ('not_requested', 'requested', 'approved', 'denied', "
        "'cancelled', 'not_required')",
        "sensitivity": "sensitivity IN ('public', 'sbu', 'les')",
        "travelers_range": "travelers BETWEEN 1 AND 500",
        "dates_ordered": "return_on >= depart_on",
        "has_country": "cardinality(countries) >= 1",
        "requested_on_given": "clearance_status IN ('not_requested', 'not_required') "
        "OR clearance_requested_on IS NOT NULL",
        "not_requested_has_no_date": "clearance_status <> 'not_requested' OR clearance_requested_on IS NULL",
        "decided_on_given": "clearance_status NOT IN ('approved', 'denied') OR clearance_decided_on IS NOT NULL",
        "undecided_has_no_date": f"NOT {PENDING} OR clearance_decided_on IS NULL",
        "decided_after_requested": "clearance_decided_on IS NULL OR clearance_requested_on IS NULL "
        "OR clearance_decided_on >= clearance_requested_on",
    }
    return [sa.CheckConstraint(sql, name=op.f(f"ck_trips_{name}")) for name, sql in checks.items()]


def upgrade() -> None:
    op.create_table(
        "trips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("component", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("post_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("activity_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("travelers", sa.Integer(), nullable=False),
        sa.Column("depart_on", sa.Date(), nullable=False),
        sa.Column("return_on", sa.Date(), nullable=False),
        sa.Column("clearance_status", sa.String(length=20), nullable=False),
        sa.Column("clearance_requested_on", sa.Date(), nullable=True),
        sa.Column("clearance_decided_on", sa.Date(), nullable=True),
        sa.Column("sensitivity", sa.String(length=10), nullable=False),
        *_stamps(),
        *_checks(),
        sa.ForeignKeyConstraint(
            ["component"], ["components.code"], name=op.f("fk_trips_component_components")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trips")),
        sa.UniqueConstraint("reference", name=op.f("uq_trips_reference")),
    )
    for name, columns in (
        ("component_id", ["component", "id"]),
        ("clearance_status_id", ["clearance_status", "id"]),
        ("updated_at_id", ["updated_at", "id"]),
        ("created_at_id", ["created_at", "id"]),
        ("depart_on_id", ["depart_on", "id"]),
        ("return_on_id", ["return_on", "id"]),
    ):
        op.create_index(f"ix_trips_{name}", "trips", columns)
    for column in ("countries", "post_ids", "activity_ids"):
        op.create_index(f"ix_trips_{column}", "trips", [column], postgresql_using="gin")
    op.create_index(
        "ix_trips_clearance_due",
        "trips",
        ["depart_on", "id"],
        postgresql_where=sa.text(f"{PENDING} AND archived_at IS NULL"),
    )

    for statement in CLEARANCE:
        op.execute(statement)

    op.add_column("postings", sa.Column("nsdd38_submitted_on", sa.Date(), nullable=True))
    op.execute(BACKFILL)
    op.execute(SUBMITTED_FUNCTION)
    for trigger in SUBMITTED_TRIGGERS:
        op.execute(trigger)
    op.create_index(
        "ix_postings_nsdd38_due",
        "postings",
        ["nsdd38_submitted_on", "id"],
        postgresql_where=sa.text("nsdd38_status = 'submitted' AND archived_at IS NULL"),
    )
    op.create_index(
        "ix_postings_tour_end_due",
        "postings",
        ["tour_end", "id"],
        postgresql_where=sa.text("status = 'filled' AND tour_end IS NOT NULL AND archived_at IS NULL"),
    )
    op.create_index(
        "ix_recommendations_target_due",
        "recommendations",
        ["target_date", "id"],
        postgresql_where=sa.text(
            "status IN ('open_unresolved', 'open_resolved') AND target_date IS NOT NULL AND archived_at IS NULL"
        ),
    )
    op.create_index(
        "ix_recommendations_a50_due",
        "recommendations",
        [sa.text("(((report_date + '6 mons'::interval))::date)"), "id"],
        postgresql_where=sa.text("status = 'open_unresolved' AND archived_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_recommendations_a50_due", table_name="recommendations")
    op.drop_index("ix_recommendations_target_due", table_name="recommendations")
    op.drop_index("ix_postings_tour_end_due", table_name="postings")
    op.drop_index("ix_postings_nsdd38_due", table_name="postings")
    op.execute("DROP TRIGGER nsdd38_submitted_update ON postings")
    op.execute("DROP TRIGGER nsdd38_submitted_insert ON postings")
    op.execute("DROP FUNCTION oia_posting_nsdd38_submitted()")
    op.drop_column("postings", "nsdd38_submitted_on")
    op.execute("DROP VIEW coordination.all_trips")
    op.drop_table("trips")  # its policies go with it
