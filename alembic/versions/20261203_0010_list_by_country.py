"""A country's activities in id order from the per-country rows; one unused GIN index fewer.

- `ix_activity_countries_list` on `coordination.activity_countries (country, activity_id)`, covering
  status, type, lead component and marking. A list of one country's activities in id order,
  filtered by nothing else than those (`?country=MX&status=active`), takes its page's ids from this
  index alone (the first limit + 1 after the cursor) and reads just those rows by primary key
  (service/activities/repository.py `country_seek`). Before, it walked `pk_activities` from the
  start (or the cursor) and filtered every row: ~1,100 heap rows for a page of 50 of MX's active
  activities. The per-country rows are exact (migration 0004's triggers, in the writing
  transaction), so a page holds the same rows as before; the list keeps its own filters as well.
- `ix_activities_live_countries` (a partial GIN on `activities.countries`, from 0003) is dropped:
  since 0004 the overlaps view and the country profile read the per-country rows, and no query is
  left that needs it (a country filter still has `ix_activities_countries`). Together the two
  changes leave an import's PostgreSQL time about where it was (bench/README.md, issue 16).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
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
