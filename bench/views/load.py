"""Fill a fresh database with the realistic worst case for the coordination views, fast.

200,000 activities, 20,000 postings, 500 posts, 2,000 recommendations and 2,000 overlap marks,
generated inside PostgreSQL with generate_series (no HTTP, no per-row round trips): about a minute,
most of it PostgreSQL building the full-text documents.

The shape is deliberately unkind: countries are skewed (the busiest holds ~9% of all activities, as
Mexico does for DHS), half the activities are live, most live ones run at the same time, and partners,
posts and goals repeat within a country, so overlapping pairs number in the tens of millions.

    uv run python bench/views/load.py [--server postgresql://postgres@127.0.0.1/postgres] \\
        [--database oia_bench]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import asyncpg
import pycountry
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"posts": 500, "activities": 200_000, "postings": 20_000, "recommendations": 2_000, "marks": 2_000}

# Where DHS is busiest first: the skew below puts most activities in the first few countries.
BUSY = ["MX", "CA", "GT", "HN", "SV", "CO", "PA", "DO", "GB", "NL", "DE", "BE", "JM", "BS", "CR", "PE"]
COUNTRIES = BUSY + sorted({c.alpha_2 for c in pycountry.countries} - set(BUSY))[:114]
# Lead components by weight (CBP and ICE hold most of DHS's presence abroad).
LEADS = ["CBP"] * 30 + ["ICE"] * 20 + ["USCG"] * 12 + ["TSA"] * 8 + ["USCIS"] * 6 + ["USSS"] * 5
LEADS += ["FEMA", "FEMA", "FLETC", "FLETC", "CISA", "CISA", "S&T", "I&A", "OBIM", "CWMD", "OPS"]
LEADS += ["PLCY", "OIA", "MGMT", "OHS", "CRCL", "PRIV", "OGC"]
VOCABULARY = (
    "border cargo container screening port aviation maritime customs liaison training cyber "
    "network threat smuggling trafficking migration visa passenger manifest biometric intelligence "
    "sharing agreement capacity building interdiction vessel airport inspection fraud document "
    "investigation financial crime narcotics weapons nuclear detection infrastructure resilience "
    "disaster response exercise partnership ministry police coast guard immigration asylum refugee "
    "exploitation victims child labor counterfeit goods intellectual property supply chain"
)
WORDS = VOCABULARY.split()
PARTNERS = [
    ("Customs Authority", "customs"),
    ("National Police", "law_enforcement"),
    ("Migration Institute", "immigration"),
    ("Border Police", "border"),
    ("Civil Aviation Authority", "aviation"),
    ("Naval Command", "maritime"),
    ("Ministry of Interior", "ministry"),
    ("Port Authority", "other"),
    ("Financial Intelligence Unit", "law_enforcement"),
    ("Prosecutor General", "law_enforcement"),
]
TYPES = [
    "law_enforcement_liaison", "investigation", "cargo_prescreening", "traveler_prescreening",
    "aviation_security", "maritime_security", "critical_infrastructure", "cybersecurity",
    "training_technical_assistance", "information_sharing", "immigration_services",
    "disaster_assistance", "research_cooperation", "policy_dialogue", "other",
]  # fmt: skip
LIVE = "('planned', 'active', 'suspended')"

# A time-ordered id like the service's uuid7: millisecond prefix, then random bits.
UUID7 = """(lpad(to_hex((extract(epoch FROM timestamptz '2024-01-01') * 1000)::bigint + {n}), 12, '0')
    || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid"""

POSTS = f"""
INSERT INTO posts (id, name, city, country, post_type, created_by, updated_by)
SELECT {UUID7.format(n="g")}, 'Bench Post ' || g, 'City ' || c || '-' || (g / 130) % 3, c,
       (ARRAY['embassy','consulate','mission','port_of_entry','other'])[1 + g % 5], 'bench', 'bench'
FROM generate_series(0, {SIZES["posts"] - 1}) g, LATERAL (SELECT ($1::text[])[1 + g % 130] AS c) x
"""

# Per-row random draws live in the derived table `r` so each row gets its own and may reuse them.
# Lists are picked as slices of per-country pools (no per-row subqueries: those cost 50 us a row).
ACTIVITIES = f"""
INSERT INTO activities (id, identifier, title, description, activity_type, status, lead_component,
    participating_components, countries, post_ids, foreign_partners, strategic_goal_codes, start_date,
    end_date, estimated_cost, currency, fiscal_year, sensitivity, tags, archived_at, created_by, updated_by)
SELECT {UUID7.format(n="r.g")},
    'BENCH-ACT-' || lpad(r.g::text, 6, '0'),
    initcap(w[1 + (r.g * 7) % 60] || ' ' || w[1 + (r.g * 13) % 60]) || ' programme ' || r.g,
    array_to_string(w[r.o1:r.o1 + 8], ' ') || ' ' || array_to_string(w[r.o2:r.o2 + 8], ' '),
    ($3::text[])[1 + floor(r.rt * 15)::int],
    CASE WHEN r.rs < 0.35 THEN 'active' WHEN r.rs < 0.45 THEN 'planned' WHEN r.rs < 0.50 THEN 'suspended'
         WHEN r.rs < 0.90 THEN 'completed' ELSE 'cancelled' END,
    ($2::text[])[1 + floor(r.rl * cardinality($2::text[]))::int],
    CASE WHEN r.rp < 0.3 THEN ARRAY['ICE']::varchar[] ELSE '{{}}' END,
    CASE WHEN r.c2 IS NULL OR r.c2 = r.c1 THEN ARRAY[c.code] ELSE ARRAY[c.code, ($1::text[])[r.c2]] END,
    coalesce(c.post_ids[r.op:r.op + r.kp - 1], '{{}}'),
    CASE r.kf WHEN 0 THEN '[]'::jsonb
              WHEN 1 THEN jsonb_build_array(c.partners -> r.of)
              WHEN 2 THEN jsonb_build_array(c.partners -> r.of, c.partners -> ((r.of + 3) % 10))
              ELSE jsonb_build_array(c.partners -> r.of, c.partners -> ((r.of + 3) % 10),
                                     c.partners -> ((r.of + 7) % 10)) END,
    coalesce(($5::text[])[r.og:r.og + r.kg - 1], '{{}}'),
    r.start, r.start + 365 * (1 + r.g % 5),
    CASE WHEN r.rc < 0.7 THEN round((50000 + r.rc * 5000000)::numeric, 2) END,
    CASE WHEN r.rc < 0.7 THEN (CASE WHEN r.rc < 0.05 THEN 'EUR' ELSE 'USD' END) END,
    extract(year FROM r.start)::int + 1,
    CASE WHEN r.rl < 0.8 THEN 'public' WHEN r.rl < 0.98 THEN 'sbu' ELSE 'les' END,
    coalesce(w[r.o2:r.o2 + r.g % 4 - 1], '{{}}'),
    CASE WHEN r.ra < 0.02 THEN now() END, 'bench', 'bench'
FROM (
    SELECT g, random() AS rt, random() AS rs, random() AS rl, random() AS rp, random() AS rc,
           random() AS ra, 1 + floor(130 * random() ^ 2)::int AS c1,
           CASE WHEN random() < 0.2 THEN 1 + floor(130 * random() ^ 2)::int END AS c2,
           1 + floor(random() * 44)::int AS o1, 1 + floor(random() * 44)::int AS o2,
           1 + floor(random() * 3)::int AS op, floor(random() * 3)::int AS kp,
           floor(random() * 10)::int AS of, floor(random() * 4)::int AS kf,
           1 + floor(random() * 5)::int AS og, floor(random() * 3)::int AS kg,
           date '2019-01-01' + floor(random() * 3000)::int AS start
    FROM generate_series(1, {SIZES["activities"]}) g OFFSET 0
) r
JOIN bench_countries c ON c.idx = r.c1, LATERAL (SELECT $4::text[] AS w) words
"""

POSTINGS = f"""
INSERT INTO postings (id, position_number, component, post_id, position_title, role, employment_category,
    fte, status, nsdd38_status, tour_start, tour_end, annual_cost, currency, activity_ids, archived_at,
    created_by, updated_by)
SELECT {UUID7.format(n="r.g")}, 'BENCH-POS-' || lpad(r.g::text, 5, '0'),
    ($1::text[])[1 + floor(r.rc * cardinality($1::text[]))::int],
    ($2::uuid[])[1 + (r.g * 7919) % cardinality($2::uuid[])],
    'Attaché ' || r.g,
    (ARRAY['dhs_attache','component_attache','liaison_officer','technical_advisor','program_officer','other'])
        [1 + r.g % 6],
    (ARRAY['us_direct_hire','us_direct_hire','us_direct_hire','locally_employed','us_contractor','tdy'])
        [1 + r.g % 6],
    CASE WHEN r.rf < 0.85 THEN 1.00 WHEN r.rf < 0.95 THEN 0.50 ELSE 0.25 END,
    r.status,
    CASE WHEN r.status = 'filled' THEN (CASE WHEN r.rf < 0.1 THEN 'not_required' ELSE 'approved' END)
         ELSE (ARRAY['draft','submitted','approved','disapproved','withdrawn','not_required'])
              [1 + r.g % 6] END,
    CASE WHEN r.status = 'filled' THEN r.start END,
    CASE WHEN r.status = 'filled' AND r.rf > 0.1 THEN r.start + 730 + r.g % 365 END,
    round((150000 + r.rf * 300000)::numeric, 2), 'USD',
    ARRAY(SELECT id FROM bench_activity_index WHERE n IN (r.a1, r.a2) AND r.rf < 0.5),
    CASE WHEN r.ra < 0.02 THEN now() END, 'bench', 'bench'
FROM (
    SELECT g, random() AS rc, random() AS rf, random() AS ra,
           (ARRAY['filled','filled','filled','filled','filled','filled','vacant','vacant','approved',
                  'proposed','abolished'])[1 + floor(random() * 11)::int] AS status,
           date '2019-01-01' + floor(random() * 2500)::int AS start,
           1 + floor(random() * {SIZES["activities"]})::int AS a1,
           1 + floor(random() * {SIZES["activities"]})::int AS a2
    FROM generate_series(1, {SIZES["postings"]}) g OFFSET 0
) r
"""

RECOMMENDATIONS = f"""
INSERT INTO recommendations (id, report_number, report_title, report_date, number, title, text,
    text_is_summary, responsible_component, concurrence, status, priority, target_date, closed_on,
    activity_ids, posting_ids, archived_at, created_by, updated_by)
SELECT {UUID7.format(n="r.g")}, 'BENCH-OIG-' || lpad((r.g / 15)::text, 3, '0'),
    'Bench report ' || r.g / 15,
    r.report_date, 1 + r.g % 15, 'Recommendation ' || r.g,
    (SELECT string_agg(w[1 + (i * 0 + floor(random() * 60))::int], ' ')
     FROM generate_series(1, 30 + r.g % 30) AS i),
    true, ($1::text[])[1 + floor(r.rc * cardinality($1::text[]))::int],
    (ARRAY['concur','concur','concur','non_concur','partial','unknown'])[1 + r.g % 6],
    r.status, r.g % 7 = 0, r.report_date + 180 + r.g % 540,
    CASE WHEN r.status LIKE 'closed%' THEN r.report_date + 400 END,
    ARRAY(SELECT id FROM bench_activity_index WHERE n IN (r.a1, r.a2) AND r.rl < 0.6),
    ARRAY(SELECT id FROM postings WHERE position_number = 'BENCH-POS-' || lpad(r.p1::text, 5, '0')
          AND r.rl < 0.3),
    CASE WHEN r.ra < 0.02 THEN now() END, 'bench', 'bench'
FROM (
    SELECT g, random() AS rc, random() AS rl, random() AS ra,
           date '2008-06-24' + (g / 15) * 45 AS report_date,
           (ARRAY['open_unresolved','open_resolved','open_resolved','closed_implemented',
                  'closed_implemented','closed_implemented','closed_not_implemented'])
               [1 + floor(random() * 7)::int] AS status,
           1 + floor(random() * {SIZES["activities"]})::int AS a1,
           1 + floor(random() * {SIZES["activities"]})::int AS a2,
           1 + floor(random() * {SIZES["postings"]})::int AS p1
    FROM generate_series(0, {SIZES["recommendations"] - 1}) g OFFSET 0
) r, LATERAL (SELECT $2::text[] AS w) words
"""

MARKS = f"""
INSERT INTO overlap_marks (activity_a, activity_b, status, note, updated_by)
SELECT a.id, b.id, CASE WHEN random() < 0.5 THEN 'acknowledged' ELSE 'deconflicted' END,
       'bench mark', 'bench'
FROM activities a JOIN activities b
  ON b.countries && a.countries AND a.id < b.id AND a.lead_component <> b.lead_component
WHERE a.status IN {LIVE} AND b.status IN {LIVE} AND a.archived_at IS NULL AND b.archived_at IS NULL
  AND a.identifier LIKE '%7' AND random() < 0.01
LIMIT {SIZES["marks"]}
"""


COUNTRY_POOLS = """
CREATE TEMP TABLE bench_countries AS
SELECT c.idx::int, c.code,
       coalesce((SELECT array_agg(id ORDER BY id) FROM posts WHERE country = c.code), '{}') AS post_ids,
       (SELECT jsonb_agg(jsonb_build_object('name', p.name || ' of ' || c.code, 'country', c.code,
                                            'partner_type', p.kind) ORDER BY p.i)
        FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS p(name, kind, i)) AS partners
FROM unnest($1::text[]) WITH ORDINALITY AS c(code, idx)
"""


async def drop_indexes(conn: asyncpg.Connection, table: str) -> list[str]:
    """Drop a table's plain indexes and return their definitions: one bulk build beats 200k updates."""
    rows = await conn.fetch(
        "SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS ddl FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass "
        "AND NOT x.indisprimary AND NOT x.indisunique",
        table,
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["name"]}"')
    return [row["ddl"] for row in rows]


async def step(conn: asyncpg.Connection, label: str, sql: str, *args: object) -> None:
    started = time.perf_counter()
    status = await conn.execute(sql, *args)
    print(f"  {label:<28} {status:<22} {time.perf_counter() - started:6.1f} s", flush=True)


async def fill(conn: asyncpg.Connection) -> None:
    components = LEADS
    await conn.execute("SET maintenance_work_mem = '512MB'")
    await step(conn, "posts", POSTS, COUNTRIES)
    await conn.execute(COUNTRY_POOLS, COUNTRIES, [n for n, _ in PARTNERS], [k for _, k in PARTNERS])
    goals = [f"QHSR23-M{i}" for i in range(1, 7)]
    indexes = await drop_indexes(conn, "activities")
    await step(conn, "activities", ACTIVITIES, COUNTRIES, components, TYPES, WORDS, goals)
    await step(conn, "activities: indexes", ";".join(indexes))
    await conn.execute(
        "CREATE TEMP TABLE bench_activity_index AS SELECT row_number() OVER (ORDER BY id) AS n, id "
        "FROM activities; CREATE INDEX ON bench_activity_index (n)"
    )
    post_ids = [r["id"] for r in await conn.fetch("SELECT id FROM posts ORDER BY id")]
    await step(conn, "postings", POSTINGS, components, post_ids)
    await step(conn, "recommendations", RECOMMENDATIONS, components, WORDS)
    await step(conn, "overlap marks", MARKS)
    await step(conn, "analyze", "VACUUM ANALYZE")


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def main(server: str, database: str) -> str:
    base = make_url(server).set(drivername="postgresql")
    admin = await asyncpg.connect(base.render_as_string(hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = base.set(database=database).render_as_string(hide_password=False)
    started = time.perf_counter()
    await asyncio.to_thread(migrate, url)
    conn = await asyncpg.connect(url)
    try:
        await fill(conn)
    finally:
        await conn.close()
    print(f"loaded {database} in {time.perf_counter() - started:.0f} s")
    return url


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1/postgres")
    parser.add_argument("--database", default="oia_bench")
    args = parser.parse_args()
    asyncio.run(main(args.server, args.database))
