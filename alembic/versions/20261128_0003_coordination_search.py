"""Full-text search on activities and recommendations; the indexes the coordination views rely on.

A generated column may only call IMMUTABLE functions, and `array_to_string` is only STABLE (it is
generic over element types) while partner names sit inside a jsonb array. So each table gets one
IMMUTABLE SQL function that builds its document; for the text types it is called with, its result
depends on its arguments alone, which is what IMMUTABLE promises. Weights: title A, tags and
partner names B, the long text C. The configuration is 'english' everywhere, and queries must use
the same one (service/search.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parameter types match the columns exactly, so PostgreSQL stores the generated expression without
# casts and it reads back the same as the model's Computed() text.
ACTIVITY_DOCUMENT = """
CREATE FUNCTION oia_activity_search(
    title varchar, description text, tags varchar[], partners jsonb
) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(
               (SELECT string_agg(p ->> 'name', ' ') FROM jsonb_array_elements(partners) AS p), ''
           )), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
$$
"""

LIVE = "status IN ('planned', 'active', 'suspended') AND archived_at IS NULL"

RECOMMENDATION_DOCUMENT = """
CREATE FUNCTION oia_recommendation_search(title varchar, body text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
$$
"""


def upgrade() -> None:
    op.execute(ACTIVITY_DOCUMENT)
    op.execute(RECOMMENDATION_DOCUMENT)
    op.execute(
        "ALTER TABLE activities ADD COLUMN search tsvector GENERATED ALWAYS AS "
        "(oia_activity_search(title, description, tags, foreign_partners)) STORED"
    )
    op.execute(
        "ALTER TABLE recommendations ADD COLUMN search tsvector GENERATED ALWAYS AS "
        '(oia_recommendation_search(title, "text")) STORED'
    )
    op.create_index("ix_activities_search", "activities", ["search"], postgresql_using="gin")
    op.create_index("ix_recommendations_search", "recommendations", ["search"], postgresql_using="gin")
    # The overlap view fetches one country's live activities at a time (service/coordination/overlaps.py).
    op.create_index(
        "ix_activities_live_countries",
        "activities",
        ["countries"],
        postgresql_using="gin",
        postgresql_where=sa.text(LIVE),
    )
    # Goal coverage reads the live activities' goals and costs from here alone (index-only scan).
    op.create_index(
        "ix_activities_live_goals",
        "activities",
        ["strategic_goal_codes"],
        postgresql_include=["estimated_cost", "currency"],
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_activities_live_goals", table_name="activities")
    op.drop_index("ix_activities_live_countries", table_name="activities", postgresql_using="gin")
    op.drop_index("ix_recommendations_search", table_name="recommendations", postgresql_using="gin")
    op.drop_index("ix_activities_search", table_name="activities", postgresql_using="gin")
    op.drop_column("recommendations", "search")
    op.drop_column("activities", "search")
    op.execute("DROP FUNCTION oia_recommendation_search(varchar, text)")
    op.execute("DROP FUNCTION oia_activity_search(varchar, text, varchar[], jsonb)")
