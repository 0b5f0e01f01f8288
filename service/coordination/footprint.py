"""The footprint: who DHS has abroad, computed from postings on every request (never stored).

Two statements over the postings in scope (not archived; optional component, country and as_of
filters) joined to their posts: one hash aggregate per (component, country) with a count per status
- a few thousand rows at most, from which every total and breakdown is summed here - and one count
of the posts (and their distinct cities) with a filled posting. (GROUPING SETS with DISTINCT
aggregates did it in one statement but sorted the 20,000 rows once per set: 3x slower.)

Travellers abroad (live trips under way on as_of, default today) come from one more statement in
service.coordination.travel.

Officials are the FTE of filled postings; components, posts, cities and countries count only places
with at least one filled posting. A tour covers `as_of` when it started on or before it (or has no
start) and ends on or after it (or has no end): a tour ending on as_of counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, distinct, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.schemas import ComponentFootprint, CountryFootprint, Footprint, Positions
from service.coordination.travel import travelers_abroad
from service.coordination.tuning import analytic
from service.coordination.unfiltered import ALL_POSTINGS
from service.models import Post
from service.schemas.vocab import PostingStatus

POSTINGS = ALL_POSTINGS  # officials and positions count every posting, whatever its marking
POSTS = Post.__table__
FILLED = PostingStatus.filled.value
STATUSES = [s.value for s in PostingStatus]
FILLED_AT = STATUSES.index(FILLED)


def scope_filters(
    components: list[str], countries: list[str], as_of: date | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [POSTINGS.c.archived_at.is_(None)]
    if components:
        where.append(POSTINGS.c.component.in_(components))
    if countries:
        where.append(POSTS.c.country.in_(countries))
    if as_of is not None:
        where.append(or_(POSTINGS.c.tour_start.is_(None), POSTINGS.c.tour_start <= as_of))
        where.append(or_(POSTINGS.c.tour_end.is_(None), POSTINGS.c.tour_end >= as_of))
    return where


def footprint_query(components: list[str], countries: list[str], as_of: date | None) -> Any:
    """Postings by status and filled FTE, per (component, country)."""
    status = POSTINGS.c.status
    return (
        select(
            POSTINGS.c.component,
            POSTS.c.country,
            *(func.count().filter(status == value).label(value) for value in STATUSES),
            func.coalesce(func.sum(POSTINGS.c.fte).filter(status == FILLED), 0).label("fte"),
        )
        .join(POSTS, POSTS.c.id == POSTINGS.c.post_id)
        .where(*scope_filters(components, countries, as_of))
        .group_by(POSTINGS.c.component, POSTS.c.country)
    )


def places_query(components: list[str], countries: list[str], as_of: date | None) -> Any:
    """Posts with a filled posting, and their distinct (country, city): at most one row per post."""
    filled_at = (
        select(POSTINGS.c.post_id)
        .join(POSTS, POSTS.c.id == POSTINGS.c.post_id)
        .where(*scope_filters(components, countries, as_of), POSTINGS.c.status == FILLED)
    )
    cities = func.count(distinct(tuple_(POSTS.c.country, POSTS.c.city)))
    return select(func.count(), cities).where(POSTS.c.id.in_(filled_at))


@dataclass
class _Tally:
    """Officials, positions and the other side's keys with a filled posting, for one key."""

    officials: Decimal = Decimal(0)
    positions: int = 0
    places: set[str] = field(default_factory=set)


Row = tuple[str, str, tuple[int, ...], Decimal]


def _tally(rows: list[Row], key: int, other: int) -> dict[str, _Tally]:
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for row in rows:
        tally, counts = tallies[cast(str, row[key])], row[2]
        tally.positions += sum(counts)
        tally.officials += row[3]
        if counts[FILLED_AT]:
            tally.places.add(cast(str, row[other]))
    return tallies


async def footprint(
    session: AsyncSession, components: list[str], countries: list[str], as_of: date | None
) -> Footprint:
    await analytic(session)
    result = await session.execute(footprint_query(components, countries, as_of))
    # Plain tuples: attribute access on thousands of rows costs more than the SQL.
    rows = [(r[0], r[1], tuple(r[2:-1]), r[-1]) for r in result.all()]
    posts, cities = (await session.execute(places_query(components, countries, as_of))).one()
    travel = await travelers_abroad(session, components, countries, as_of)
    by_component, by_country = _tally(rows, 0, 1), _tally(rows, 1, 0)
    by_status = {status: sum(r[2][i] for r in rows) for i, status in enumerate(STATUSES)}
    for country in travel.by_country:  # a country with travellers but no posting gets a row too
        by_country.setdefault(country, _Tally())
    return Footprint(
        officials=float(sum((t.officials for t in by_component.values()), Decimal(0))),
        travelers_abroad=travel.total,
        positions=Positions(**by_status),
        components=sum(1 for t in by_component.values() if t.places),
        posts=posts,
        cities=cities,
        countries=sum(1 for t in by_country.values() if t.places),
        by_component=[
            ComponentFootprint(
                component=k, officials=float(t.officials), positions=t.positions, countries=len(t.places)
            )
            for k, t in sorted(by_component.items())
        ],
        by_country=[
            CountryFootprint(
                country=k,
                officials=float(t.officials),
                positions=t.positions,
                components=len(t.places),
                travelers_abroad=travel.by_country.get(k, 0),
            )
            for k, t in sorted(by_country.items())
        ],
    )
