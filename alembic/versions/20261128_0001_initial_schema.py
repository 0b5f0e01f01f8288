"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:39:20.101493
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audit log is append-only for everyone, the service's own role included.
APPEND_ONLY_FUNCTION = """
CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("resource", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_record", "audit_log", ["resource", "record_id", "seq"], unique=False)
    op.create_index("ix_audit_log_resource_seq", "audit_log", ["resource", "seq"], unique=False)
    op.create_table(
        "components",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("successor_code", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["successor_code"],
            ["components.code"],
            name=op.f("fk_components_successor_code_components"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_components")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key_id", "idempotency_key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "posts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("post_type", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "post_type IN ('embassy', 'consulate', 'mission', 'port_of_entry', 'other')",
            name=op.f("ck_posts_post_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("name", name=op.f("uq_posts_name")),
    )
    op.create_index("ix_posts_country_id", "posts", ["country", "id"], unique=False)
    op.create_table(
        "strategic_goals",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("framework", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_strategic_goals")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("lead_component", sa.String(length=16), nullable=False),
        sa.Column(
            "participating_components",
            postgresql.ARRAY(sa.String(length=16)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("post_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column(
            "foreign_partners",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column(
            "strategic_goal_codes",
            postgresql.ARRAY(sa.String(length=32)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("estimated_cost", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=True),
        sa.Column("sensitivity", sa.String(length=10), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(length=50)), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "activity_type IN ('law_enforcement_liaison', 'investigation', 'cargo_prescreening', 'traveler_prescreening', 'aviation_security', 'maritime_security', 'critical_infrastructure', 'cybersecurity', 'training_technical_assistance', 'information_sharing', 'immigration_services', 'disaster_assistance', 'research_cooperation', 'policy_dialogue', 'other')",
            name=op.f("ck_activities_activity_type"),
        ),
        sa.CheckConstraint("sensitivity IN ('public', 'sbu', 'les')", name=op.f("ck_activities_sensitivity")),
        sa.CheckConstraint(
            "status IN ('planned', 'active', 'completed', 'suspended', 'cancelled')",
            name=op.f("ck_activities_status"),
        ),
        sa.CheckConstraint(
            "(estimated_cost IS NULL) = (currency IS NULL)",
            name=op.f("ck_activities_cost_has_currency"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name=op.f("ck_activities_dates_ordered"),
        ),
        sa.CheckConstraint(
            "estimated_cost IS NULL OR estimated_cost >= 0",
            name=op.f("ck_activities_cost_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_component"],
            ["components.code"],
            name=op.f("fk_activities_lead_component_components"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("identifier", name=op.f("uq_activities_identifier")),
    )
    op.create_index(
        "ix_activities_countries", "activities", ["countries"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_activities_created_at_id", "activities", ["created_at", "id"], unique=False)
    op.create_index("ix_activities_lead_component_id", "activities", ["lead_component", "id"], unique=False)
    op.create_index(
        "ix_activities_partners",
        "activities",
        ["foreign_partners"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"foreign_partners": "jsonb_path_ops"},
    )
    op.create_index("ix_activities_status_id", "activities", ["status", "id"], unique=False)
    op.create_index("ix_activities_title_id", "activities", ["title", "id"], unique=False)
    op.create_index("ix_activities_type_id", "activities", ["activity_type", "id"], unique=False)
    op.create_index("ix_activities_updated_at_id", "activities", ["updated_at", "id"], unique=False)
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("component", sa.String(length=16), nullable=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'editor') = (component IS NOT NULL)",
            name=op.f("ck_api_keys_editor_has_component"),
        ),
        sa.CheckConstraint("role IN ('admin', 'editor', 'reader')", name=op.f("ck_api_keys_role")),
        sa.ForeignKeyConstraint(
            ["component"], ["components.code"], name=op.f("fk_api_keys_component_components")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "postings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position_number", sa.String(length=50), nullable=False),
        sa.Column("component", sa.String(length=16), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("position_title", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("employment_category", sa.String(length=30), nullable=False),
        sa.Column("fte", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("nsdd38_status", sa.String(length=20), nullable=False),
        sa.Column("nsdd38_decided_on", sa.Date(), nullable=True),
        sa.Column("tour_start", sa.Date(), nullable=True),
        sa.Column("tour_end", sa.Date(), nullable=True),
        sa.Column("annual_cost", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("activity_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "employment_category IN ('us_direct_hire', 'locally_employed', 'us_contractor', 'tdy')",
            name=op.f("ck_postings_category"),
        ),
        sa.CheckConstraint(
            "nsdd38_status IN ('not_required', 'draft', 'submitted', 'approved', 'disapproved', 'withdrawn')",
            name=op.f("ck_postings_nsdd38_status"),
        ),
        sa.CheckConstraint(
            "role IN ('dhs_attache', 'component_attache', 'liaison_officer', 'technical_advisor', 'program_officer', 'other')",
            name=op.f("ck_postings_role"),
        ),
        sa.CheckConstraint(
            "status <> 'filled' OR nsdd38_status IN ('approved', 'not_required')",
            name=op.f("ck_postings_filled_needs_nsdd38"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'filled', 'vacant', 'abolished')",
            name=op.f("ck_postings_status"),
        ),
        sa.CheckConstraint(
            "(annual_cost IS NULL) = (currency IS NULL)", name=op.f("ck_postings_cost_has_currency")
        ),
        sa.CheckConstraint(
            "annual_cost IS NULL OR annual_cost >= 0", name=op.f("ck_postings_cost_not_negative")
        ),
        sa.CheckConstraint("fte > 0 AND fte <= 1", name=op.f("ck_postings_fte_range")),
        sa.CheckConstraint(
            "tour_end IS NULL OR tour_start IS NULL OR tour_end >= tour_start",
            name=op.f("ck_postings_tour_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["component"], ["components.code"], name=op.f("fk_postings_component_components")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_postings_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
        sa.UniqueConstraint("position_number", name=op.f("uq_postings_position_number")),
    )
    op.create_index(
        "ix_postings_activity_ids",
        "postings",
        ["activity_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_postings_component_id", "postings", ["component", "id"], unique=False)
    op.create_index("ix_postings_created_at_id", "postings", ["created_at", "id"], unique=False)
    op.create_index("ix_postings_post_id_id", "postings", ["post_id", "id"], unique=False)
    op.create_index("ix_postings_status_id", "postings", ["status", "id"], unique=False)
    op.create_index("ix_postings_updated_at_id", "postings", ["updated_at", "id"], unique=False)
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_number", sa.String(length=40), nullable=False),
        sa.Column("report_title", sa.String(length=300), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_is_summary", sa.Boolean(), nullable=False),
        sa.Column("responsible_component", sa.String(length=16), nullable=False),
        sa.Column("concurrence", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("corrective_action_plan", sa.Text(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("activity_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("posting_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "concurrence IN ('concur', 'non_concur', 'partial', 'unknown')",
            name=op.f("ck_recommendations_concurrence"),
        ),
        sa.CheckConstraint(
            "status IN ('open_unresolved', 'open_resolved', 'closed_implemented', 'closed_not_implemented')",
            name=op.f("ck_recommendations_status"),
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_recommendations_number_positive")),
        sa.ForeignKeyConstraint(
            ["responsible_component"],
            ["components.code"],
            name=op.f("fk_recommendations_responsible_component_components"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("report_number", "number", name="uq_recommendations_report_number"),
    )
    op.create_index(
        "ix_recommendations_activity_ids",
        "recommendations",
        ["activity_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_recommendations_component_id",
        "recommendations",
        ["responsible_component", "id"],
        unique=False,
    )
    op.create_index("ix_recommendations_created_at_id", "recommendations", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_recommendations_posting_ids",
        "recommendations",
        ["posting_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_recommendations_status_id", "recommendations", ["status", "id"], unique=False)
    op.create_index("ix_recommendations_updated_at_id", "recommendations", ["updated_at", "id"], unique=False)
    op.create_table(
        "overlap_marks",
        sa.Column("activity_a", sa.Uuid(), nullable=False),
        sa.Column("activity_b", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'deconflicted')",
            name=op.f("ck_overlap_marks_status"),
        ),
        sa.CheckConstraint("activity_a < activity_b", name=op.f("ck_overlap_marks_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["activity_a"], ["activities.id"], name=op.f("fk_overlap_marks_activity_a_activities")
        ),
        sa.ForeignKeyConstraint(
            ["activity_b"], ["activities.id"], name=op.f("fk_overlap_marks_activity_b_activities")
        ),
        sa.PrimaryKeyConstraint("activity_a", "activity_b", name=op.f("pk_overlap_marks")),
    )
    op.create_table(
        "recommendation_updates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=False),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "to_status IN ('open_unresolved', 'open_resolved', 'closed_implemented', 'closed_not_implemented')",
            name=op.f("ck_recommendation_updates_to_status"),
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_updates_recommendation_id_recommendations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_updates")),
    )
    op.create_index(
        "ix_recommendation_updates_rec_at",
        "recommendation_updates",
        ["recommendation_id", "id"],
        unique=False,
    )
    op.execute(APPEND_ONLY_FUNCTION)
    for table in ("audit_log", "recommendation_updates"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change()"
        )


def downgrade() -> None:
    op.drop_index("ix_recommendation_updates_rec_at", table_name="recommendation_updates")
    op.drop_table("recommendation_updates")
    op.drop_table("overlap_marks")
    op.drop_index("ix_recommendations_updated_at_id", table_name="recommendations")
    op.drop_index("ix_recommendations_status_id", table_name="recommendations")
    op.drop_index("ix_recommendations_posting_ids", table_name="recommendations", postgresql_using="gin")
    op.drop_index("ix_recommendations_created_at_id", table_name="recommendations")
    op.drop_index("ix_recommendations_component_id", table_name="recommendations")
    op.drop_index("ix_recommendations_activity_ids", table_name="recommendations", postgresql_using="gin")
    op.drop_table("recommendations")
    op.drop_index("ix_postings_updated_at_id", table_name="postings")
    op.drop_index("ix_postings_status_id", table_name="postings")
    op.drop_index("ix_postings_post_id_id", table_name="postings")
    op.drop_index("ix_postings_created_at_id", table_name="postings")
    op.drop_index("ix_postings_component_id", table_name="postings")
    op.drop_index("ix_postings_activity_ids", table_name="postings", postgresql_using="gin")
    op.drop_table("postings")
    op.drop_table("api_keys")
    op.drop_index("ix_activities_updated_at_id", table_name="activities")
    op.drop_index("ix_activities_type_id", table_name="activities")
    op.drop_index("ix_activities_title_id", table_name="activities")
    op.drop_index("ix_activities_status_id", table_name="activities")
    op.drop_index(
        "ix_activities_partners",
        table_name="activities",
        postgresql_using="gin",
        postgresql_ops={"foreign_partners": "jsonb_path_ops"},
    )
    op.drop_index("ix_activities_lead_component_id", table_name="activities")
    op.drop_index("ix_activities_created_at_id", table_name="activities")
    op.drop_index("ix_activities_countries", table_name="activities", postgresql_using="gin")
    op.drop_table("activities")
    op.drop_table("strategic_goals")
    op.drop_index("ix_posts_country_id", table_name="posts")
    op.drop_table("posts")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("components")
    op.drop_index("ix_audit_log_resource_seq", table_name="audit_log")
    op.drop_index("ix_audit_log_record", table_name="audit_log")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION refuse_audit_change()")
