"""Webhooks: subscriptions, deliveries, and the dispatcher's cursor in the audit log.

- `webhook_subscriptions`: owner (API key, or token issuer + subject) with a snapshot of its role,
  component and clearance; filters; the signing secret sealed with Fernet; version for the ETag.
- `webhook_deliveries`: one row per event per subscription (unique), status and retry schedule.
- `webhook_cursor`: one row, the last audit seq turned into deliveries; it starts at the log's end,
  so an upgrade does not replay history to subscriptions that did not exist then.
- `service_secrets` row `webhook_key`: the Fernet key used when WEBHOOK_SECRET_KEY is not set (the
  one-command start delivers webhooks without configuration; production sets WEBHOOK_SECRET_KEY).
- Grants: 0005's default privileges already give oia_service these tables; granted again here so
  the migration says so, without DELETE (nothing is deleted; a subscription is ended by deleted_at).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "oia_service"  # migration 0005's service role
TABLES = ("webhook_subscriptions", "webhook_deliveries", "webhook_cursor")


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    text_array = postgresql.ARRAY(sa.Text())
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("owner_subject", sa.String(length=255), nullable=True),
        sa.Column("owner_issuer", sa.String(length=255), nullable=True),
        sa.Column("owner_name", sa.String(length=100), nullable=False),
        sa.Column("owner_role", sa.String(length=10), nullable=False),
        sa.Column("owner_component", sa.String(length=16), nullable=True),
        sa.Column("owner_clearance", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("resources", text_array, server_default="{}", nullable=False),
        sa.Column("components", text_array, server_default="{}", nullable=False),
        sa.Column("actions", text_array, server_default="{}", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "key_id IS NOT NULL OR owner_subject IS NOT NULL", name=op.f("ck_webhook_subscriptions_has_owner")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name=op.f("fk_webhook_subscriptions_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index("ix_webhook_subscriptions_key_id", "webhook_subscriptions", ["key_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("last_status_code", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=_now(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_webhook_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("webhook_id", "event_seq", name="uq_webhook_deliveries_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "id"])
    op.create_table(
        "webhook_cursor",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_cursor")),
    )
    op.execute(
        "INSERT INTO webhook_cursor (name, last_seq) SELECT 'audit', coalesce(max(seq), 0) FROM audit_log"
    )
    key = Fernet.generate_key().decode("ascii")
    op.execute(
        sa.text("INSERT INTO service_secrets (name, value) VALUES ('webhook_key', :v)").bindparams(v=key)
    )
    for table in TABLES:
        # A subscription is ended by setting deleted_at; deliveries are its log: nothing is deleted.
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {ROLE}")
        op.execute(f"REVOKE DELETE ON {table} FROM {ROLE}")


def downgrade() -> None:
    op.execute("DELETE FROM service_secrets WHERE name = 'webhook_key'")
    op.drop_table("webhook_cursor")
    op.drop_index("ix_webhook_deliveries_webhook", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_subscriptions_key_id", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
