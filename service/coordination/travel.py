"""Trips in the coordination views: travellers abroad on a day (footprint) and a country's current and
upcoming trips (country profile).

A trip counts when it is not archived and not cancelled or denied (those travellers are not going).
Like the rest of these views, the numbers count every trip whatever its sensitivity (through
coordination.all_trips, which row-level security does not filter): OIA's picture stays whole, and no
trip is named. A trip to several countries counts under each of them in the
by-country numbers, but once in the total (where its travellers are on a given day is not recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.schemas import TripPresence
from service.coordination.unfiltered import ALL_TRIPS
from service.schemas.vocab import TRIP_OFF

TRIPS = ALL_TRIPS
UPCOMING_DAYS = 90  # the country profile's "current and upcoming" window


def _going() -> list[ColumnElement[bool]]:
    return [TRIPS.c.archived_at.is_(None), TRIPS.c.clearance_status.not_in([s.value for s in TRIP_OFF])]


@dataclass
class Travelers:
    """Travellers abroad on one day: the total, and by country."""

    total: int = 0
    by_country: dict[str, int] = field(default_factory=dict)


async def travelers_abroad(
    session: AsyncSession, components: list[str], countries: list[str], on: date | None
) -> Travelers:
    """Travellers of trips whose dates include `on` (default: the database's today), optionally only
    of some components and only in some countries."""
    day = literal(on) if on is not None else func.current_date()
    where = [*_going(), TRIPS.c.depart_on <= day, TRIPS.c.return_on >= day]
    if components:
        where.append(TRIPS.c.component.in_(components))
    if countries:
        where.append(TRIPS.c.countries.overlap(countries))
    rows = (await session.execute(select(TRIPS.c.travelers, TRIPS.c.countries).where(*where))).all()
    travel = Travelers()
    for travelers, where_to in rows:
        travel.total += travelers
        for country in where_to:
            if not countries or country in countries:
                travel.by_country[country] = travel.by_country.get(country, 0) + travelers
    return travel


async def country_trips(session: AsyncSession, code: str) -> list[TripPresence]:
    """Trips to the country under way or departing within UPCOMING_DAYS, by component."""
    today = func.current_date()
    stmt = (
        select(TRIPS.c.component, func.count().label("n"), func.sum(TRIPS.c.travelers).label("travelers"))
        .where(
            *_going(),
            TRIPS.c.countries.contains([code]),
            TRIPS.c.return_on >= today,
            TRIPS.c.depart_on <= today + UPCOMING_DAYS,
        )
        .group_by(TRIPS.c.component)
        .order_by(TRIPS.c.component)
    )
    rows = (await session.execute(stmt)).all()
    return [TripPresence(component=r.component, count=r.n, travelers=r.travelers) for r in rows]
