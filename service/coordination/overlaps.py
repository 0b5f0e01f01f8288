"""Overlapping activities: pairs of live activities (planned, active, suspended; not archived) led by
different components that share a country and overlap in time, scored by what else they share.

How it avoids comparing every pair
----------------------------------
Pairs are listed country by country in a stable keyset order (country, a.id, b.id) with a < b; a pair
sharing several countries is listed once, under the first of them (within the `country` filter).
Countries without a live activity are skipped (LIVE_COUNTRIES: one GIN probe each, 16 per round
trip). For one country, one statement (PAIRS below):
  1. `live`: that country's live activities, fetched once through the partial GIN index
     ix_activities_live_countries (Bitmap Index Scan, never a Seq Scan of activities). At 200,000
     activities the busiest country holds about 10,000 of them.
  2. `a`: a window of the next K of those after the cursor, by id, each with its marked (hidden)
     partners and its partner keys computed once.
  3. per a, a LATERAL scan of `live` (in memory) for b > a led by another component whose
     daterange(start, end, '[]') overlaps a's (NULL ends are unbounded), not hidden and reaching
     min_score; sorted by b.id and cut at the page size, so a dense country stops after an a or two.
So one statement does at most K x (live activities in that country) comparisons, never N^2. The
planner estimates self-joins like this badly (it once chose to sort every pair of 98,000 live
activities), so the shape is fixed in the SQL (a MATERIALIZED CTE, LIMITed subqueries).

The Python loop moves to the next window or country until the page is full or the time budget is
spent, then returns what it has with a next_cursor: with a very selective filter a page may hold
fewer than `limit` items (even none) while more follow, so clients page until next_cursor is null.
This bounds every request's latency whatever the filter (numbers in bench/README.md).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.pair_cursor import END, Position, decode_position, encode_position
from service.coordination.schemas import OverlapPair
from service.coordination.scoring import pair_item
from service.coordination.tuning import analytic
from service.models import OverlapMark
from service.types import COUNTRY_CODES

BUDGET_SECONDS = 0.25
FIRST_WINDOW, MAX_WINDOW = 8, 512
PROBE_BATCH = 16
ALL_COUNTRIES = sorted(COUNTRY_CODES)
LIVE = "status IN ('planned', 'active', 'suspended') AND archived_at IS NULL"
SHARED = (
    "(a.activity_type = b.activity_type)::int + (a.post_ids && b.post_ids)::int + (a.goals && b.goals)::int"
)

PAIRS = """
WITH live AS MATERIALIZED (
    SELECT id, lead_component, activity_type, countries, post_ids, strategic_goal_codes AS goals,
           foreign_partners AS partners, daterange(start_date, end_date, '[]') AS span
    FROM activities WHERE countries @> ARRAY[CAST(:country AS varchar)] AND {live}
)
SELECT a.id AS a_id, a.activity_type AS a_type, a.countries AS a_countries, a.post_ids AS a_posts,
       a.goals AS a_goals, a.partners AS a_partners,
       b.id AS b_id, b.activity_type AS b_type, b.countries AS b_countries, b.post_ids AS b_posts,
       b.goals AS b_goals, b.partners AS b_partners
FROM (
    SELECT live.*, {partner_keys} AS partner_keys, {hidden} AS hidden
    FROM live WHERE live.id >= :after_a ORDER BY live.id LIMIT :window
) AS a
LEFT JOIN LATERAL (
    SELECT b.* FROM live AS b
    WHERE b.id > CASE WHEN a.id = :after_a THEN :after_b ELSE a.id END
      AND b.lead_component <> a.lead_component
      AND b.span && a.span
      AND (cardinality(a.countries) = 1 OR cardinality(b.countries) = 1
           OR :country = (SELECT min(x) FROM unnest(a.countries) AS x WHERE x = ANY(b.countries){in_scope}))
      {filters}
    ORDER BY b.id LIMIT :need
) AS b ON true
ORDER BY a.id, b.id
LIMIT :need + :window
"""
# Only countries with a live activity are worth a statement: one GIN probe each, one round trip.
LIVE_COUNTRIES = f"""
SELECT c FROM unnest(CAST(:codes AS varchar[])) AS c
WHERE EXISTS (SELECT 1 FROM activities WHERE countries @> ARRAY[c] AND {LIVE})
ORDER BY c
"""
PARTNER_KEYS = (
    "ARRAY(SELECT jsonb_build_array(p - 'partner_type') FROM jsonb_array_elements(live.partners) AS p)"
)
HIDDEN = (
    "ARRAY(SELECT m.activity_b FROM overlap_marks AS m WHERE m.activity_a = live.id AND m.status <> 'open')"
)


@dataclass(frozen=True)
class OverlapFilter:
    countries: list[str]
    components: list[str]
    min_score: int
    include_marked: bool


def pairs_sql(flt: OverlapFilter) -> str:
    """The one-country statement with just the filters this request uses."""
    filters = []
    if not flt.include_marked:
        filters.append("AND b.id <> ALL(a.hidden)")
    if flt.components:
        filters.append("AND (a.lead_component = ANY(:components) OR b.lead_component = ANY(:components))")
    if flt.min_score > 0:
        # The jsonb partner test runs only when the three cheap ones fall short.
        partner = "(b.partners @> ANY(a.partner_keys))::int"
        filters.append(f"AND ({SHARED} >= :min_score OR {SHARED} + {partner} >= :min_score)")
    return PAIRS.format(
        live=LIVE,
        partner_keys=PARTNER_KEYS if flt.min_score > 0 else "NULL::jsonb[]",
        hidden="NULL::uuid[]" if flt.include_marked else HIDDEN,
        in_scope=" AND x = ANY(:scope)" if flt.countries else "",
        filters="\n      ".join(filters),
    )


async def run_window(
    session: AsyncSession, flt: OverlapFilter, at: Position, window: int, need: int
) -> list[Any]:
    params: dict[str, Any] = {
        "country": at.country,
        "after_a": at.after_a,
        "after_b": at.after_b,
        "window": window,
        "need": need,
    }
    if flt.countries:
        params["scope"] = flt.countries
    if flt.components:
        params["components"] = flt.components
    if flt.min_score > 0:
        params["min_score"] = flt.min_score
    return list((await session.execute(text(pairs_sql(flt)), params)).all())


async def statuses(session: AsyncSession, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> dict[Any, str]:
    """The marks on these pairs (an unmarked pair is open)."""
    if not pairs:
        return {}
    marks = OverlapMark.__table__
    wanted = tuple_(marks.c.activity_a, marks.c.activity_b).in_(pairs)
    rows = await session.execute(select(marks.c.activity_a, marks.c.activity_b, marks.c.status).where(wanted))
    return {(r.activity_a, r.activity_b): r.status for r in rows}


def _after(rows: list[Any], at: Position, limit_left: int) -> tuple[list[Any], Position, int]:
    """The pair rows of one window (up to limit_left), where it ended, and how many a it covered."""
    pairs: list[Any] = []
    position, seen = at, set()
    for row in rows:
        seen.add(row.a_id)
        if row.b_id is None:
            position = Position(at.country, row.a_id, END)
            continue
        pairs.append(row)
        position = Position(at.country, row.a_id, row.b_id)
        if len(pairs) == limit_left:
            break
    return pairs, position, len(seen)


async def live_countries(session: AsyncSession, candidates: list[str]) -> AsyncIterator[str]:
    """The candidates with a live activity, in order, probed a few at a time (a page rarely needs
    more than the first few)."""
    for i in range(0, len(candidates), PROBE_BATCH):
        batch = candidates[i : i + PROBE_BATCH]
        for country in (await session.execute(text(LIVE_COUNTRIES), {"codes": batch})).scalars():
            yield country


async def scan_country(
    session: AsyncSession, flt: OverlapFilter, at: Position, found: list[Any], limit: int, deadline: float
) -> Position | None:
    """Add one country's pairs from `at` on to `found` until the page is full (then None), the
    country is done (None), or the time is up (then where it stopped)."""
    window = FIRST_WINDOW
    while True:
        began = time.monotonic()
        rows = await run_window(session, flt, at, window, limit + 1 - len(found))
        pairs, at, covered = _after(rows, at, limit + 1 - len(found))
        found.extend((at.country, row) for row in pairs)
        if len(found) > limit or covered < window:
            return None
        now = time.monotonic()
        if now > deadline:
            return at
        per_a = max((now - began) / window, 1e-5)  # size the next window to the time left
        window = max(FIRST_WINDOW, min(MAX_WINDOW, int((deadline - now) / per_a)))


async def find_pairs(
    session: AsyncSession, flt: OverlapFilter, cursor: str | None, limit: int
) -> tuple[list[tuple[str, Any]], Position | None]:
    """Up to limit + 1 (country, row) pairs from the cursor on, and where the scan stopped if the
    time ran out first (None when it reached the end or filled the page)."""
    start = decode_position(cursor) if cursor else Position("")
    await analytic(session)
    deadline = time.monotonic() + BUDGET_SECONDS
    candidates = sorted(flt.countries) if flt.countries else ALL_COUNTRIES
    found: list[tuple[str, Any]] = []
    done = start.after_a == END  # the cursor's country was finished
    todo = [c for c in candidates if c > start.country or (c == start.country and not done)]
    async for country in live_countries(session, todo):
        at = start if country == start.country else Position(country)
        stopped = await scan_country(session, flt, at, found, limit, deadline)
        if stopped is not None or len(found) > limit:
            return found, stopped
        if time.monotonic() > deadline:
            return found, Position(country, END, END)  # resumes after this country
    return found, None


async def overlap_page(
    session: AsyncSession, flt: OverlapFilter, cursor: str | None, limit: int
) -> tuple[list[OverlapPair], str | None]:
    """One page of overlapping pairs and the cursor of the next (None on the last page)."""
    found, stopped = await find_pairs(session, flt, cursor, limit)
    page = found[:limit]
    marks = await statuses(session, [(row.a_id, row.b_id) for _, row in page])
    items = [pair_item(row, marks.get((row.a_id, row.b_id), "open")) for _, row in page]
    if len(found) > limit:
        country, last = page[-1]
        return items, encode_position(Position(country, last.a_id, last.b_id))
    return items, encode_position(stopped) if stopped else None
