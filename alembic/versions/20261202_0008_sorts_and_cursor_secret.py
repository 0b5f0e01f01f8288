"""Indexes behind the new sorts, and the secret that signs pagination cursors.

- (column, id) btrees for the sort fields added in v1.1: activities start_date, end_date,
  estimated_cost; postings tour_start, tour_end; recommendations target_date. PostgreSQL's default
  null ordering (last ascending, first descending) is the contract's, so one plain index serves
  both directions, and the keyset seek around the nulls stays two index ranges.
- `service_secrets`: one row, `cursor`, 256 random bits made here, so every worker and every server
  on this database signs and accepts the same cursors, across restarts, without configuration
  (CURSOR_SECRET overrides it).

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_INDEXES = (
    ("activities", "start_date"),
    ("activities", "end_date"),
    ("activities", "estimated_cost"),
    ("postings", "tour_start"),
    ("postings", "tour_end"),
    ("recommendations", "target_date"),
)


def upgrade() -> None:
    for table, column in SORT_INDEXES:
        op.create_index(f"ix_{table}_{column}_id", table, [column, "id"])
    secrets_table = op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("name", name="pk_service_secrets"),
    )
    op.bulk_insert(secrets_table, [{"name": "cursor", "value": secrets.token_urlsafe(32)}])


def downgrade() -> None:
    op.drop_table("service_secrets")
    for table, column in SORT_INDEXES:
        op.drop_index(f"ix_{table}_{column}_id", table_name=table)
