"""Per-country rows for the coordination views, kept in step with `activities` by triggers.

Why: a country's activities are found through the GIN index on `countries`, which can only say
*where* the rows are; counting them by type and status, listing their partners or walking them in
id order then reads every matching heap row. At 1,000,000 activities the busiest country (MX, 12 %)
has a row on almost every heap page, so the country profile read ~80,000 pages (1.3 s) and the
overlaps view ~50,000 (0.9 s). A btree cannot index array elements, so the rows are spread out here,
one per (activity, country), narrow enough for index-only scans:

- `coordination.activity_countries`: one row per non-archived activity and each distinct country
  it names, with what the views filter on. `ix_activity_countries_profile` answers the profile's
  counts by type and status; `ix_activity_countries_live` (live activities only, in id order,
  covering the overlap tests) lets the overlaps view walk a country's live activities in keyset
  order and stop at a page.
- `coordination.activity_partners`: one row per live activity, country and distinct foreign partner
  (name, country, type), grouped by `ix_activity_partners_group`.

Kept exact, never stale: statement-level AFTER triggers on `activities` (INSERT, UPDATE, DELETE,
TRUNCATE) rewrite the rows of exactly the activities whose view columns changed, in the writing
transaction, from its transition tables (one set-based statement per table, so a COPY of 100,000
rows costs one pass, not 100,000 trigger calls). The tables live in their own schema so that the
model-driven `alembic check` (which inspects the default schema only) does not treat them as
strays; nothing but the triggers writes them.

Index entries must stay under btree's ~2.7 kB limit whatever a writer stores, so values that could
be long are kept out of an index instead of failing the write: an activity whose countries,
post_ids and goals arrays together exceed 1,500 bytes has NULL there (the view reads them from
`activities`), and a partner whose texts exceed 2,000 bytes is left out of the grouping index
(`fits = false`; the view adds those rows from a small separate index).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_STATUSES = "('planned', 'active', 'suspended')"
WIDE_ARRAYS = 1500  # bytes of countries + post_ids + goals above which they are not copied
WIDE_PARTNER = 2000  # bytes of a partner's three texts above which it stays out of the group index

TABLES = """
CREATE SCHEMA coordination;

CREATE TABLE coordination.activity_countries (
    country varchar(2) NOT NULL,
    activity_id uuid NOT NULL,
    status varchar(20) NOT NULL,
    activity_type varchar(40) NOT NULL,
    lead_component varchar(16) NOT NULL,
    span daterange NOT NULL,
    n_countries integer NOT NULL,
    countries varchar(2)[],
    post_ids uuid[],
    goals varchar(32)[],
    CONSTRAINT pk_activity_countries PRIMARY KEY (activity_id, country)
);

CREATE TABLE coordination.activity_partners (
    country varchar(2) NOT NULL,
    name text,
    partner_country text,
    partner_type text,
    activity_id uuid NOT NULL,
    fits boolean NOT NULL
);
"""

# Built after the backfill: one sort each instead of a million inserts (and half the size).
INDEXES = f"""
CREATE INDEX ix_activity_countries_profile ON coordination.activity_countries (country, activity_type, status);
CREATE INDEX ix_activity_countries_live ON coordination.activity_countries (country, activity_id)
    INCLUDE (lead_component, span, n_countries, activity_type, countries, post_ids, goals)
    WHERE status IN {LIVE_STATUSES};
CREATE INDEX ix_activity_partners_group
    ON coordination.activity_partners (country, name, partner_country, partner_type) WHERE fits;
CREATE INDEX ix_activity_partners_wide ON coordination.activity_partners (country) WHERE NOT fits;
CREATE INDEX ix_activity_partners_activity ON coordination.activity_partners (activity_id);
"""

# The activity columns the views read: an UPDATE that changes none of them (a title, a tag, a
# version bump) leaves the rows alone. Partners compare as text, exactly as `->>` will read them.
VIEW_COLUMNS = (
    "{t}.id, {t}.countries, {t}.status, {t}.activity_type, {t}.lead_component, {t}.start_date, "
    "{t}.end_date, {t}.post_ids, {t}.strategic_goal_codes, {t}.foreign_partners::text, "
    "{t}.archived_at IS NULL"
)


def _insert_rows(source: str) -> str:
    """INSERTs of both tables' rows for the activities in `source` (a relation aliased n)."""
    fits = (
        f"coalesce(pg_column_size(n.countries), 0) + coalesce(pg_column_size(n.post_ids), 0)"
        f" + coalesce(pg_column_size(n.strategic_goal_codes), 0) <= {WIDE_ARRAYS}"
    )
    countries = "(SELECT DISTINCT x FROM unnest(n.countries) AS x WHERE x IS NOT NULL) AS c(country)"
    return f"""
    INSERT INTO coordination.activity_countries
        (country, activity_id, status, activity_type, lead_component, span, n_countries,
         countries, post_ids, goals)
    SELECT c.country, n.id, n.status, n.activity_type, n.lead_component,
           daterange(n.start_date, n.end_date, '[]'), cardinality(n.countries),
           CASE WHEN {fits} THEN n.countries END,
           CASE WHEN {fits} THEN n.post_ids END,
           CASE WHEN {fits} THEN n.strategic_goal_codes END
    FROM {source} CROSS JOIN LATERAL {countries}
    WHERE n.archived_at IS NULL;

    INSERT INTO coordination.activity_partners
        (country, name, partner_country, partner_type, activity_id, fits)
    SELECT DISTINCT c.country, p.value ->> 'name', p.value ->> 'country', p.value ->> 'partner_type', n.id,
           coalesce(octet_length(p.value ->> 'name'), 0) + coalesce(octet_length(p.value ->> 'country'), 0)
           + coalesce(octet_length(p.value ->> 'partner_type'), 0) <= {WIDE_PARTNER}
    FROM {source} CROSS JOIN LATERAL {countries}
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(n.foreign_partners) = 'array' THEN n.foreign_partners ELSE '[]' END
    ) AS p
    WHERE n.archived_at IS NULL AND n.status IN {LIVE_STATUSES};
    """


def _forget(ids: str) -> str:
    return f"""
    DELETE FROM coordination.activity_countries WHERE activity_id IN ({ids});
    DELETE FROM coordination.activity_partners WHERE activity_id IN ({ids});
    """


UNCHANGED = (
    f"EXISTS (SELECT 1 FROM {{other}} WHERE {{other}}.id = {{this}}.id "
    f"AND ROW({VIEW_COLUMNS.format(t='{other}')}) IS NOT DISTINCT FROM ROW({VIEW_COLUMNS.format(t='{this}')}))"
)

SYNC = f"""
CREATE FUNCTION coordination.sync_activities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_insert_rows("new_rows AS n")}
    ELSIF TG_OP = 'UPDATE' THEN
        {_forget(f"SELECT o.id FROM old_rows AS o WHERE NOT {UNCHANGED.format(other='new_rows', this='o')}")}
        {
    _insert_rows(
        f"(SELECT * FROM new_rows AS u WHERE NOT {UNCHANGED.format(other='old_rows', this='u')}) AS n"
    )
}
    ELSIF TG_OP = 'DELETE' THEN
        {_forget("SELECT o.id FROM old_rows AS o")}
    ELSE
        TRUNCATE coordination.activity_countries, coordination.activity_partners;
    END IF;
    RETURN NULL;
END
$$
"""
SYNC_CALL = "FOR EACH STATEMENT EXECUTE FUNCTION coordination.sync_activities()"
TRIGGERS = {
    "insert": f"CREATE TRIGGER coordination_sync_insert AFTER INSERT ON activities "
    f"REFERENCING NEW TABLE AS new_rows {SYNC_CALL}",
    "update": f"CREATE TRIGGER coordination_sync_update AFTER UPDATE ON activities "
    f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {SYNC_CALL}",
    "delete": f"CREATE TRIGGER coordination_sync_delete AFTER DELETE ON activities "
    f"REFERENCING OLD TABLE AS old_rows {SYNC_CALL}",
    "truncate": f"CREATE TRIGGER coordination_sync_truncate AFTER TRUNCATE ON activities {SYNC_CALL}",
}


def _execute_each(statements: str) -> None:
    """One statement per execute: asyncpg prepares each, and a prepared statement is one command."""
    for statement in statements.split(";"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _execute_each(TABLES)
    # The existing activities, in id order (= creation order: the order the triggers add them later).
    _execute_each(_insert_rows("(SELECT * FROM activities ORDER BY id) AS n"))
    _execute_each(INDEXES)
    op.execute(SYNC)
    for event in ("insert", "update", "delete", "truncate"):
        op.execute(TRIGGERS[event])
    op.execute("ANALYZE coordination.activity_countries")
    op.execute("ANALYZE coordination.activity_partners")


def downgrade() -> None:
    for event in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER coordination_sync_{event} ON activities")
    op.execute("DROP SCHEMA coordination CASCADE")
