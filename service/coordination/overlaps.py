"""Overlapping activities: pairs of live activities (planned, active, suspended; not archived) led by
different components that share a country and overlap in time, scored by what else they share;
best score first.

How it avoids comparing every pair
----------------------------------
Pairs are listed by score, from 4 down to `min_score`, and within one score country by country in a
stable keyset order (country, a.id, b.id) with a < b; a pair sharing several countries is listed
once, under the first of them (within the `country` filter). So the order is (score descending,
country, a.id, b.id) and the cursor is where the scan stands in it (pair_cursor.Position). Each score
is one scan of the countries that looks only for pairs of exactly that score (so a pair is met once,
at its own score): finding every score-4 pair before the first score-3 one is what "best first"
costs, and it is paid page by page under the time budget below, never as a sort of every pair.

Countries without a live activity are skipped (LIVE_COUNTRIES: one index probe each, 16 per round
trip, remembered across the scores of one request). For one country and score, one statement
(overlap_sql.PAIRS) reads the per-country rows that migration 0004 keeps in step with `activities`
(coordination.activity_countries, written by triggers in the same transaction, so never stale),
through the partial index ix_activity_countries_live: the country's live activities in id order,
covering the cheap tests (lead component, dates, countries, type, posts, goals). Never a scan of
`activities`:
  1. `a`: a window of the next K of them after the cursor (an index range), each with its full
     activity row (by primary key), its marked (hidden) partners and its partner keys.
  2. per a, a LATERAL index-only walk of the same index from a.id on, for b led by another component
     whose daterange(start, end, '[]') overlaps a's (NULL ends are unbounded), not hidden and
     scoring exactly the level, cut at the page size: a dense score stops after a few dozen entries;
     the jsonb partner test reads b's row only when the cheap tests leave the score undecided. Score
     4, the rare one, needs the same type, so its b's come from ix_activity_countries_profile
     (country, type) instead of a walk of the whole country.
  3. the full rows of the pairs found, by primary key, for the page.
So one statement does at most K x (live activities in that country) comparisons, never N^2, and a
dense page stops early. (The previous shape first copied the country's live activities into a
MATERIALIZED CTE: at 1,000,000 activities that read ~50,000 heap pages for MX, 0.9 s, before the
first pair.) The shape is fixed in the SQL (LIMITed subqueries in id order) because the planner,
given the plain self-join, once chose to sort every pair of 98,000 live activities.

The Python loop moves to the next window, country or score until the page is full or the time budget
is spent, then returns what it has with a next_cursor: when the best pairs are rare or the filter is
very selective, a page may hold fewer than `limit` items (even none) while more follow, so clients
page until next_cursor is null. This bounds every request's latency whatever the filter (numbers in
bench/README.md). Best first has a price: at 200,000 activities, a client following MX's cursor
(limit 200) reads its 8,113 score-4 pairs in 75 requests (~0.3 s each) before the first score 3.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.overlap_sql import LIVE_COUNTRIES, OverlapFilter, pairs_sql
from service.coordination.pair_cursor import END, MAX_SCORE, Position, decode_position, encode_position
from service.coordination.schemas import OverlapPair
from service.coordination.scoring import pair_item
from service.coordination.tuning import analytic
from service.models import OverlapMark
from service.schemas.types import COUNTRY_CODES

BUDGET_SECONDS = 0.25
# A dense country fills a page from the first few a's whatever the window (the statement stops at
# the page); a sparse filter walks the whole country for each a (~80 ms for MX at 1M activities),
# so the first window is small and later ones are sized to the time left.
FIRST_WINDOW, MAX_WINDOW = 2, 512
PROBE_BATCH = 16
ALL_COUNTRIES = sorted(COUNTRY_CODES)


async def run_window(
    session: AsyncSession, flt: OverlapFilter, at: Position, window: int, need: int
) -> list[Any]:
    params: dict[str, Any] = {
        "country": at.country,
        "level": at.score,
        "after_a": at.after_a,
        "after_b": at.after_b,
        "window": window,
        "need": need,
        "markings": flt.markings,
        "editor": flt.editor,
    }
    if flt.countries:
        params["scope"] = flt.countries
    if flt.components:
        params["components"] = flt.components
    return list((await session.execute(text(pairs_sql(flt, at.score)), params)).all())


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
            position = replace(at, after_a=row.a_id, after_b=END)
            continue
        pairs.append(row)
        position = replace(at, after_a=row.a_id, after_b=row.b_id)
        if len(pairs) == limit_left:
            break
    return pairs, position, len(seen)


async def live_countries(
    session: AsyncSession, candidates: list[str], known: dict[str, bool]
) -> AsyncIterator[str]:
    """The candidates with a live activity, in order, probed a few at a time (a page rarely needs
    more than the first few); `known` remembers the answers for the next score of the request."""
    for i in range(0, len(candidates), PROBE_BATCH):
        batch = candidates[i : i + PROBE_BATCH]
        unknown = [c for c in batch if c not in known]
        if unknown:
            live = set((await session.execute(text(LIVE_COUNTRIES), {"codes": unknown})).scalars())
            known.update((c, c in live) for c in unknown)
        for country in batch:
            if known[country]:
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
        found.extend((at.score, at.country, row) for row in pairs)
        if len(found) > limit or covered < window:
            return None
        now = time.monotonic()
        if now > deadline:
            return at
        per_a = max((now - began) / window, 1e-5)  # size the next window to the time left
        window = max(FIRST_WINDOW, min(MAX_WINDOW, int((deadline - now) / per_a)))


async def scan_score(
    session: AsyncSession,
    flt: OverlapFilter,
    start: Position,
    found: list[Any],
    limit: int,
    deadline: float,
    known: dict[str, bool],
) -> Position | None:
    """Add the pairs of score `start.score` from `start` on, country by country, to `found`; where
    the scan stopped when the time ran out (None when the page is full or the score is done)."""
    candidates = sorted(flt.countries) if flt.countries else ALL_COUNTRIES
    done = start.after_a == END  # the start's country was finished
    todo = [c for c in candidates if c > start.country or (c == start.country and not done)]
    async for country in live_countries(session, todo, known):
        at = start if country == start.country else Position(start.score, country)
        stopped = await scan_country(session, flt, at, found, limit, deadline)
        if stopped is not None or len(found) > limit:
            return stopped
        if time.monotonic() > deadline:
            return Position(start.score, country, END, END)  # resumes after this country
    return None


async def find_pairs(
    session: AsyncSession, flt: OverlapFilter, cursor: str | None, limit: int
) -> tuple[list[tuple[int, str, Any]], Position | None]:
    """Up to limit + 1 (score, country, row) pairs from the cursor on, best score first, and where the scan
    stopped if the time ran out first (None when it reached the end or filled the page)."""
    start = decode_position(cursor) if cursor else Position(MAX_SCORE)
    await analytic(session)
    deadline = time.monotonic() + BUDGET_SECONDS
    found: list[tuple[int, str, Any]] = []
    known: dict[str, bool] = {}
    for score in range(start.score, flt.min_score - 1, -1):
        at = start if score == start.score else Position(score)
        stopped = await scan_score(session, flt, at, found, limit, deadline, known)
        if stopped is not None or len(found) > limit:
            return found, stopped
        if time.monotonic() > deadline and score > flt.min_score:
            return found, Position(score - 1)  # resumes at the next score's first country
    return found, None


async def overlap_page(
    session: AsyncSession, flt: OverlapFilter, cursor: str | None, limit: int
) -> tuple[list[OverlapPair], str | None]:
    """One page of overlapping pairs, best score first, and the cursor of the next (None on the last
    page)."""
    found, stopped = await find_pairs(session, flt, cursor, limit)
    page = found[:limit]
    marks = await statuses(session, [(row.a_id, row.b_id) for _, _, row in page])
    items = [pair_item(row, marks.get((row.a_id, row.b_id), "open")) for _, _, row in page]
    if len(found) > limit:
        score, country, last = page[-1]
        return items, encode_position(Position(score, country, last.a_id, last.b_id))
    return items, encode_position(stopped) if stopped else None
