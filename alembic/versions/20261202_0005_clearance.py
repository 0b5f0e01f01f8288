"""Clearance: who may read what, enforced by PostgreSQL row-level security.

- `postings.sensitivity` (default `sbu`, existing postings get `sbu`); activities already had one.
- API keys gain `clearance` (existing admin keys `les`, others `sbu`), `expires_at`, `last_used_at`.
- The audit log records the token actor's subject and issuer, and the marking and owner of the record
  after (and before) each change, so the change feed and histories can be filtered entry by entry,
  and `withdrawn` computed, without reading today's rows.
- The per-country rows of migration 0004 carry the activity's marking: the overlaps view and the
  country profile's partner list name activities from them, and filter by it.
- The service runs as role `oia_service` (the app connects as any login role and sets
  `role=oia_service` at connect): not a superuser, not the owner, so row-level security applies to it.
  Policies read the caller's clearance and (for editors) component from the session settings
  `oia.clearance` and `oia.editor_component`, which the app sets on every connection checkout
  (service/db.py); with no settings nothing sensitive is visible (fail closed).
- Aggregates count every record (OIA's picture stays whole) through two views owned by the migration
  role (views run with their owner's rights, so RLS does not filter them): `coordination.all_postings`
  and `coordination.all_activities`, with only the columns counts need.
- Security-barrier quals (RLS) keep non-leakproof operators (`&&`, `@>`, `@@`, numeric `<`) out of index
  conditions, which would turn every country filter and search into a sequential scan. These built-in
  functions cannot leak row data through errors or side effects, so they are marked LEAKPROOF in this
  database; that needs a superuser, and without one the migration says so and goes on (correct but
  slower; README "Clearance").
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "oia_service"
LIVE_STATUSES = "('planned', 'active', 'suspended')"
WIDE_ARRAYS = 1500
WIDE_PARTNER = 2000
# Records that carry a marking, and the column naming their owner.
MARKED = {"activities": "lead_component", "postings": "component"}
LEAKPROOF = (
    "arrayoverlap(anyarray, anyarray)",
    "arraycontains(anyarray, anyarray)",
    "arraycontained(anyarray, anyarray)",
    "ts_match_vq(tsvector, tsquery)",
    "jsonb_contains(jsonb, jsonb)",
    "numeric_eq(numeric, numeric)",
    "numeric_ne(numeric, numeric)",
    "numeric_lt(numeric, numeric)",
    "numeric_le(numeric, numeric)",
    "numeric_gt(numeric, numeric)",
    "numeric_ge(numeric, numeric)",
)

COLUMNS = """
ALTER TABLE postings ADD COLUMN sensitivity varchar(10) NOT NULL DEFAULT 'sbu'
    CONSTRAINT ck_postings_sensitivity CHECK (sensitivity IN ('public', 'sbu', 'les'));
ALTER TABLE api_keys ADD COLUMN clearance varchar(10);
UPDATE api_keys SET clearance = CASE WHEN role = 'admin' THEN 'les' ELSE 'sbu' END;
ALTER TABLE api_keys ALTER COLUMN clearance SET NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT ck_api_keys_clearance CHECK (clearance IN ('public', 'sbu', 'les'));
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE audit_log ADD COLUMN actor_subject varchar(255);
ALTER TABLE recommendation_updates ADD COLUMN actor_subject varchar(255);
ALTER TABLE recommendation_updates ADD COLUMN actor_issuer varchar(255);
ALTER TABLE audit_log ADD COLUMN actor_issuer varchar(255);
ALTER TABLE audit_log ADD COLUMN sensitivity varchar(10);
ALTER TABLE audit_log ADD COLUMN owner varchar(16);
ALTER TABLE audit_log ADD COLUMN prev_sensitivity varchar(10);
ALTER TABLE audit_log ADD COLUMN prev_owner varchar(16);
UPDATE audit_log AS l SET sensitivity = a.sensitivity, owner = a.lead_component,
    prev_sensitivity = CASE WHEN l.action <> 'create' THEN a.sensitivity END,
    prev_owner = CASE WHEN l.action <> 'create' THEN a.lead_component END
FROM activities AS a WHERE l.resource = 'activities' AND l.record_id = a.id::text;
UPDATE audit_log AS l SET sensitivity = 'sbu', owner = p.component,
    prev_sensitivity = CASE WHEN l.action <> 'create' THEN 'sbu' END,
    prev_owner = CASE WHEN l.action <> 'create' THEN p.component END
FROM postings AS p WHERE l.resource = 'postings' AND l.record_id = p.id::text;
ALTER TABLE coordination.activity_countries ADD COLUMN sensitivity varchar(10) NOT NULL DEFAULT 'public';
ALTER TABLE coordination.activity_partners ADD COLUMN sensitivity varchar(10) NOT NULL DEFAULT 'public';
ALTER TABLE coordination.activity_partners ADD COLUMN lead_component varchar(16) NOT NULL DEFAULT '';
UPDATE coordination.activity_countries AS c SET sensitivity = a.sensitivity
FROM activities AS a WHERE a.id = c.activity_id AND a.sensitivity <> 'public';
UPDATE coordination.activity_partners AS c SET sensitivity = a.sensitivity, lead_component = a.lead_component
FROM activities AS a WHERE a.id = c.activity_id;
DROP INDEX coordination.ix_activity_countries_live;
CREATE INDEX ix_activity_countries_live ON coordination.activity_countries (country, activity_id)
    INCLUDE (lead_component, span, n_countries, activity_type, countries, post_ids, goals, sensitivity)
    WHERE status IN ('planned', 'active', 'suspended')
"""

# The rule, once, in SQL: the same as service.auth.Principal.can_read.
CAN_READ = """
CREATE FUNCTION oia_can_read(marking text, owner text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE marking WHEN 'public' THEN 0 WHEN 'sbu' THEN 1 WHEN 'les' THEN 2 END
           <= coalesce(nullif(current_setting('oia.clearance', true), '')::int, -1)
        OR (owner IS NOT NULL AND owner = nullif(current_setting('oia.editor_component', true), ''))
$$
"""

VIEWS = """
CREATE VIEW coordination.all_postings AS
    SELECT id, component, post_id, status, fte, tour_start, tour_end, archived_at FROM public.postings;
CREATE VIEW coordination.all_activities AS
    SELECT id, lead_component, status, strategic_goal_codes, estimated_cost, currency, archived_at
    FROM public.activities
"""


def _sync_function(marked: bool = True) -> str:
    """Migration 0004's trigger function, now also copying the activity's marking (and, for
    partners, its lead component) into the per-country rows (`marked=False`: 0004's own)."""
    marking = ", n.sensitivity" if marked else ""
    partner_marking = ", n.sensitivity, n.lead_component" if marked else ""
    country_columns = ", sensitivity" if marked else ""
    partner_columns = ", sensitivity, lead_component" if marked else ""
    fits = (
        "coalesce(pg_column_size(n.countries), 0) + coalesce(pg_column_size(n.post_ids), 0)"
        f" + coalesce(pg_column_size(n.strategic_goal_codes), 0) <= {WIDE_ARRAYS}"
    )
    countries = "(SELECT DISTINCT x FROM unnest(n.countries) AS x WHERE x IS NOT NULL) AS c(country)"
    view_columns = (
        "{t}.id, {t}.countries, {t}.status, {t}.activity_type, {t}.lead_component, {t}.start_date, "
        "{t}.end_date, {t}.post_ids, {t}.strategic_goal_codes, {t}.foreign_partners::text, "
        "{t}.archived_at IS NULL" + (", {t}.sensitivity" if marked else "")
    )
    unchanged = (
        "EXISTS (SELECT 1 FROM {other} WHERE {other}.id = {this}.id "
        f"AND ROW({view_columns.format(t='{other}')}) IS NOT DISTINCT FROM ROW({view_columns.format(t='{this}')}))"
    )

    def insert_rows(source: str) -> str:
        return f"""
        INSERT INTO coordination.activity_countries
            (country, activity_id, status, activity_type, lead_component, span, n_countries,
             countries, post_ids, goals{country_columns})
        SELECT c.country, n.id, n.status, n.activity_type, n.lead_component,
               daterange(n.start_date, n.end_date, '[]'), cardinality(n.countries),
               CASE WHEN {fits} THEN n.countries END,
               CASE WHEN {fits} THEN n.post_ids END,
               CASE WHEN {fits} THEN n.strategic_goal_codes END{marking}
        FROM {source} CROSS JOIN LATERAL {countries}
        WHERE n.archived_at IS NULL;

        INSERT INTO coordination.activity_partners
            (country, name, partner_country, partner_type, activity_id, fits{partner_columns})
        SELECT DISTINCT c.country, p.value ->> 'name', p.value ->> 'country', p.value ->> 'partner_type',
               n.id,
               coalesce(octet_length(p.value ->> 'name'), 0) + coalesce(octet_length(p.value ->> 'country'), 0)
               + coalesce(octet_length(p.value ->> 'partner_type'), 0) <= {WIDE_PARTNER}{partner_marking}
        FROM {source} CROSS JOIN LATERAL {countries}
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(n.foreign_partners) = 'array' THEN n.foreign_partners ELSE '[]' END
        ) AS p
        WHERE n.archived_at IS NULL AND n.status IN {LIVE_STATUSES};
        """

    def forget(ids: str) -> str:
        return f"""
        DELETE FROM coordination.activity_countries WHERE activity_id IN ({ids});
        DELETE FROM coordination.activity_partners WHERE activity_id IN ({ids});
        """

    changed_old = f"SELECT o.id FROM old_rows AS o WHERE NOT {unchanged.format(other='new_rows', this='o')}"
    changed_new = (
        f"(SELECT * FROM new_rows AS u WHERE NOT {unchanged.format(other='old_rows', this='u')}) AS n"
    )
    return f"""
CREATE OR REPLACE FUNCTION coordination.sync_activities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert_rows("new_rows AS n")}
    ELSIF TG_OP = 'UPDATE' THEN
        {forget(changed_old)}
        {insert_rows(changed_new)}
    ELSIF TG_OP = 'DELETE' THEN
        {forget("SELECT o.id FROM old_rows AS o")}
    ELSE
        TRUNCATE coordination.activity_countries, coordination.activity_partners;
    END IF;
    RETURN NULL;
END
$$
"""


def _role_and_grants() -> list[str]:
    grants = [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
            -- A migration role that is not a superuser needs membership to SET ROLE to it.
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                EXECUTE format('GRANT {ROLE} TO %I', current_user);
            END IF;
        END $$""",
        f"GRANT USAGE ON SCHEMA public, coordination TO {ROLE}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, coordination TO {ROLE}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}",
        # Nothing is ever deleted through the API, and the audit log is append-only.
        f"REVOKE DELETE ON activities, postings, recommendations, recommendation_updates, posts, "
        f"components, strategic_goals, api_keys FROM {ROLE}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {ROLE}",
        # Tables of later migrations: the same grants, without repeating them in each.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public, coordination "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}",
    ]
    return grants


def _policies() -> list[str]:
    statements = []
    for table, owner in MARKED.items():
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY clearance_read ON {table} FOR SELECT TO {ROLE} "
            f"USING (oia_can_read(sensitivity, {owner}))",
            f"CREATE POLICY clearance_insert ON {table} FOR INSERT TO {ROLE} WITH CHECK (true)",
            f"CREATE POLICY clearance_update ON {table} FOR UPDATE TO {ROLE} "
            f"USING (oia_can_read(sensitivity, {owner})) WITH CHECK (true)",
        ]
    statements += [
        "ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY",
        # The change feed shows a withdrawn entry to whoever could see the record before it.
        f"CREATE POLICY clearance_read ON audit_log FOR SELECT TO {ROLE} "
        f"USING (sensitivity IS NULL OR oia_can_read(sensitivity, owner) "
        f"OR (prev_sensitivity IS NOT NULL AND oia_can_read(prev_sensitivity, prev_owner)))",
        f"CREATE POLICY clearance_insert ON audit_log FOR INSERT TO {ROLE} WITH CHECK (true)",
    ]
    return statements


def _leakproof() -> str:
    marks = "\n".join(f"        ALTER FUNCTION pg_catalog.{f} LEAKPROOF;" for f in LEAKPROOF)
    return f"""DO $$ BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
{marks}
    ELSE
        RAISE NOTICE 'not a superuser: the array, jsonb, text-search and numeric operators stay '
            'non-leakproof, so filters on them cannot use their indexes under row-level security';
    END IF;
END $$"""


def _each(statements: str) -> None:
    for statement in statements.split(";\n"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _each(COLUMNS)
    op.execute(CAN_READ)
    op.execute(_sync_function())
    _each(VIEWS)
    for statement in [*_role_and_grants(), *_policies()]:
        op.execute(statement)
    op.execute(_leakproof())


def downgrade() -> None:
    for table in [*MARKED, "audit_log"]:
        for policy in ("clearance_read", "clearance_insert", "clearance_update"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP VIEW coordination.all_postings")
    op.execute("DROP VIEW coordination.all_activities")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public, coordination REVOKE ALL ON TABLES FROM {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public, coordination FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public, coordination FROM {ROLE}")
    # The role itself is shared by every database on the server: it stays.
    op.execute("DROP INDEX coordination.ix_activity_countries_live")
    op.execute(
        "CREATE INDEX ix_activity_countries_live ON coordination.activity_countries (country, activity_id) "
        "INCLUDE (lead_component, span, n_countries, activity_type, countries, post_ids, goals) "
        f"WHERE status IN {LIVE_STATUSES}"
    )
    for table, column in (
        ("coordination.activity_partners", "lead_component"),
        ("coordination.activity_partners", "sensitivity"),
        ("coordination.activity_countries", "sensitivity"),
        ("audit_log", "prev_owner"),
        ("audit_log", "prev_sensitivity"),
        ("audit_log", "owner"),
        ("audit_log", "sensitivity"),
        ("audit_log", "actor_issuer"),
        ("audit_log", "actor_subject"),
        ("recommendation_updates", "actor_issuer"),
        ("recommendation_updates", "actor_subject"),
        ("api_keys", "last_used_at"),
        ("api_keys", "expires_at"),
        ("api_keys", "clearance"),
        ("postings", "sensitivity"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute("DROP FUNCTION oia_can_read(text, text)")
    op.execute(_sync_function(marked=False))  # the columns it wrote are gone
