"""A country's activities in id order from the per-country rows; one unused GIN index fewer.

- `ix_activity_countries_list` on `coordination.activity_countries (country, activity_id)`, covering
  status, type, lead component and marking. The list filtered by one country (`?country=MX`, with or
  without `status`, `type`, `component`) reads that country's ids in id order from this index alone
  and fetches only the page's rows by primary key (service/activities/repository.py
  `country_seek`). Before, the list walked `pk_activities` from the start (or the cursor) and
  filtered every row: ~1,100 heap rows for a page of 50 of MX's active activities, more for a
  smaller country. The per-country rows are exact (migration 0004's triggers, same transaction),
  so the narrowing never changes which rows a page has; the list keeps its own filters as well.
- `ix_activities_live_countries` (a partial GIN on `activities.countries`, from 0003) is dropped:
  since 0004 the overlaps view and the country profile read the per-country rows instead, and no
  query was left that needs it (a country filter still has `ix_activities_countries`). Every insert
  of a live activity paid for it: ~NN % of an import's PostgreSQL time (bench/README.md).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('planned', 'active', 'suspended') AND archived_at IS NULL"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_activity_countries_list ON coordination.activity_countries (country, activity_id) "
        "INCLUDE (status, activity_type, lead_component, sensitivity)"
    )
    op.drop_index("ix_activities_live_countries", table_name="activities", postgresql_using="gin")
    op.execute("ANALYZE coordination.activity_countries")


def downgrade() -> None:
    op.create_index(
        "ix_activities_live_countries",
        "activities",
        ["countries"],
        postgresql_using="gin",
        postgresql_where=sa.text(LIVE),
    )
    op.execute("DROP INDEX coordination.ix_activity_countries_list")
