"""The SQL of the overlap scan (see service.coordination.overlaps for how it is walked): one statement
per country window and score, built with only the filters a request uses."""

from __future__ import annotations

from dataclasses import dataclass

# Rows of coordination.activity_countries are non-archived activities; this keeps the live ones,
# and matches ix_activity_countries_live's predicate so the planner can use it.
LIVE_ROWS = "status IN ('planned', 'active', 'suspended')"
# countries, post_ids and goals are NULL in a per-country row only when too wide for the index
# (migration 0004); then they come from the activity itself.
B_COUNTRIES = "coalesce(b.countries, (SELECT f.countries FROM activities AS f WHERE f.id = b.activity_id))"
B_POSTS = "coalesce(b.post_ids, (SELECT f.post_ids FROM activities AS f WHERE f.id = b.activity_id))"
B_GOALS = "coalesce(b.goals, (SELECT f.strategic_goal_codes FROM activities AS f WHERE f.id = b.activity_id))"
# The partner test needs the jsonb, which is not copied: b's own row, read only when needed.
B_PARTNERS = "(SELECT f.foreign_partners FROM activities AS f WHERE f.id = b.activity_id)"
SHARED = (
    f"(a.activity_type = b.activity_type)::int + ({B_POSTS} && a.post_ids)::int + ({B_GOALS} && a.goals)::int"
)

PAIRS = """
SELECT a.id AS a_id, a.activity_type AS a_type, a.countries AS a_countries, a.post_ids AS a_posts,
       a.goals AS a_goals, a.partners AS a_partners,
       b.id AS b_id, b.activity_type AS b_type, b.countries AS b_countries, b.post_ids AS b_posts,
       b.strategic_goal_codes AS b_goals, b.foreign_partners AS b_partners
FROM (
    SELECT w.*, {partner_keys} AS partner_keys, {hidden} AS hidden
    FROM (
        SELECT x.id, x.lead_component, daterange(x.start_date, x.end_date, '[]') AS span, x.activity_type,
               x.countries, x.post_ids, x.strategic_goal_codes AS goals, x.foreign_partners AS partners
        FROM (
            -- The window alone, then its rows: a join under the LIMIT may be planned as "join all,
            -- sort, keep K".
            SELECT l.activity_id FROM coordination.activity_countries AS l
            WHERE l.country = :country AND l.{live} AND l.activity_id >= :after_a
              AND (l.sensitivity = ANY(:markings) OR l.lead_component = :editor)
            ORDER BY l.activity_id LIMIT :window
        ) AS l
        JOIN activities AS x ON x.id = l.activity_id
    ) AS w
) AS a
LEFT JOIN LATERAL (
    SELECT b.activity_id FROM coordination.activity_countries AS b
    WHERE b.country = :country AND b.{live}
      AND b.activity_id > CASE WHEN a.id = :after_a THEN :after_b ELSE a.id END
      AND b.lead_component <> a.lead_component
      AND (b.sensitivity = ANY(:markings) OR b.lead_component = :editor)
      AND b.span && a.span
      AND (cardinality(a.countries) = 1 OR b.n_countries = 1
           OR :country = (SELECT min(x) FROM unnest(a.countries) AS x
                          WHERE x = ANY({b_countries}){in_scope}))
      {filters}
    ORDER BY b.activity_id LIMIT :need
) AS pair ON true
LEFT JOIN activities AS b ON b.id = pair.activity_id
ORDER BY a.id, pair.activity_id
LIMIT :need + :window
"""
# Only countries with a live activity are worth a statement: one index probe each, one round trip.
LIVE_COUNTRIES = f"""
SELECT c FROM unnest(CAST(:codes AS varchar[])) AS c
WHERE EXISTS (SELECT 1 FROM coordination.activity_countries WHERE country = c AND {LIVE_ROWS})
ORDER BY c
"""
PARTNER_KEYS = (
    "ARRAY(SELECT jsonb_build_array(p - 'partner_type') FROM jsonb_array_elements(w.partners) AS p)"
)
HIDDEN = "ARRAY(SELECT m.activity_b FROM overlap_marks AS m WHERE m.activity_a = w.id AND m.status <> 'open')"


@dataclass(frozen=True)
class OverlapFilter:
    countries: list[str]
    components: list[str]
    min_score: int
    include_marked: bool
    # The caller's clearance: a pair is listed only if both activities are visible to it.
    markings: list[str]
    editor: str | None


def pairs_sql(flt: OverlapFilter, level: int) -> str:
    """The one-country statement for the pairs scoring exactly `level` (bound as :level too), with
    just the filters this request uses."""
    filters = []
    if level == 4:
        # Every test must hold, the same type among them: said outright, it lets the planner enter by
        # ix_activity_countries_profile (country, type) instead of walking the whole country per a
        # (MX at 200,000 activities: 30 ms instead of 160 ms for a window of 16).
        filters.append("AND b.activity_type = a.activity_type")
    if not flt.include_marked:
        filters.append("AND b.activity_id <> ALL(a.hidden)")
    if flt.components:
        filters.append("AND (a.lead_component = ANY(:components) OR b.lead_component = ANY(:components))")
    # The score is the three cheap tests plus the partner test (0 or 1). The partner test reads b's
    # row, so it runs only when the cheap ones leave the level undecided: a simple CASE evaluates the
    # cheap sum once and the partner test only in the branch that needs it.
    partner = f"coalesce({B_PARTNERS} @> ANY(a.partner_keys), false)"
    filters.append(
        f"AND CASE {SHARED} WHEN :level THEN NOT {partner} WHEN :level - 1 THEN {partner} ELSE false END"
    )
    return PAIRS.format(
        live=LIVE_ROWS,
        b_countries=B_COUNTRIES,
        partner_keys=PARTNER_KEYS,
        hidden="NULL::uuid[]" if flt.include_marked else HIDDEN,
        in_scope=" AND x = ANY(:scope)" if flt.countries else "",
        filters="\n      ".join(filters),
    )
