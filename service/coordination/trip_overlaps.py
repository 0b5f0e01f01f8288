"""Overlapping trips: two components' trips to one country in overlapping dates that support the same
activity or meet the same foreign partner - the third kind of overlap, beside activities of two
components (service.coordination.overlaps) and postings.

What a trip "meets" is known only through the activities it lists: it shares an activity with
another trip when both list it, and a partner when a live activity of each names that partner
(name and country) in a country the trip goes to. Only trips not yet over count (return_on today or
later, not archived, not cancelled or denied): the view is for deconflicting what is coming.

Cost: one statement per page, bounded by the trips not yet over that list an activity (a few
thousand at 100,000 trips): they are collected once (ix_trips_return_on_id), spread into
(trip, what it meets) rows, and self-joined by hash on what they meet, so only trips that share
something are ever compared. Pairs come in keyset order (overlap start, first id, second id).

Clearance: a pair shows only when the caller may read both trips, and its reasons name only
activities (and partners of activities) the caller may read.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    String,
    and_,
    any_,
    cast,
    column,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    table,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.repository import store as activities
from service.auth import Principal
from service.coordination.schemas import OverlapReason, TripOverlapPair
from service.errors import BadRequest
from service.models import Trip
from service.schemas.vocab import TRIP_OFF
from service.trips.repository import store as trips

T, A = Trip.__table__, activities.spec.table
PARTNERS = table(  # kept by triggers from activities (migration 0004): live activities only
    "activity_partners",
    column("activity_id"),
    column("country"),
    column("name"),
    column("partner_country"),
    schema="coordination",
)
SEP = "\x1f"  # between a reason's kind and value in the aggregated array
KINDS = ("shared_activity", "shared_partner")
After = tuple[date, uuid.UUID, uuid.UUID]


def _links(principal: Principal, countries: list[str]) -> tuple[Any, Any]:
    """The trips in scope (CTE) and what each meets: (trip, kind, value) rows (CTE)."""
    where = [
        T.c.archived_at.is_(None),
        T.c.clearance_status.not_in([s.value for s in TRIP_OFF]),
        T.c.return_on >= func.current_date(),
        func.cardinality(T.c.activity_ids) > 0,
        *trips.visible_where(principal),
    ]
    if countries:
        where.append(T.c.countries.overlap(countries))
    cols = (T.c.id, T.c.component, T.c.countries, T.c.activity_ids, T.c.depart_on, T.c.return_on)
    live = select(*cols).where(*where).cte("live").prefix_with("MATERIALIZED")
    supported = (
        select(live.c.id.label("trip_id"), live.c.countries, A.c.id.label("activity_id"))
        .join(A, A.c.id == any_(live.c.activity_ids))
        .where(A.c.archived_at.is_(None), *activities.visible_where(principal))
        .cte("supported")
    )
    partner = func.concat(PARTNERS.c.name, " (", PARTNERS.c.partner_country, ")")
    links = union_all(
        select(
            supported.c.trip_id,
            literal("shared_activity").label("kind"),
            cast(supported.c.activity_id, String).label("value"),
        ),
        select(supported.c.trip_id, literal("shared_partner"), partner).join(
            PARTNERS,
            and_(
                PARTNERS.c.activity_id == supported.c.activity_id,
                PARTNERS.c.country == any_(supported.c.countries),
            ),
        ),
    ).cte("links")
    return live, links


def pairs_statement(
    principal: Principal, countries: list[str], components: list[str], after: After | None, limit: int
) -> Any:
    """One page of pairs: ids, components, shared countries, the overlap's span and the reasons."""
    live, links = _links(principal, countries)
    x, y, a, b = links.alias("x"), links.alias("y"), live.alias("a"), live.alias("b")
    start = func.greatest(a.c.depart_on, b.c.depart_on).label("start")
    where = [
        a.c.component != b.c.component,
        a.c.countries.overlap(b.c.countries),
        a.c.depart_on <= b.c.return_on,
        b.c.depart_on <= a.c.return_on,
    ]
    if countries:  # the pair must meet in a country asked for, not merely each go to one
        met = func.unnest(a.c.countries).column_valued("met")
        where.append(exists().where(met == any_(b.c.countries), met.in_(countries)))
    if components:
        where.append(or_(a.c.component.in_(components), b.c.component.in_(components)))
    if after is not None:
        where.append(
            tuple_(start, a.c.id, b.c.id) > tuple_(literal(after[0]), literal(after[1]), literal(after[2]))
        )
    reasons = func.array_agg(distinct(func.concat(x.c.kind, SEP, x.c.value)))
    return (
        select(
            a.c.id.label("a_id"),
            b.c.id.label("b_id"),
            a.c.component.label("a_component"),
            b.c.component.label("b_component"),
            a.c.countries.label("a_countries"),
            b.c.countries.label("b_countries"),
            start,
            func.least(a.c.return_on, b.c.return_on).label("end"),
            reasons.label("reasons"),
        )
        .select_from(x)
        .join(y, and_(x.c.kind == y.c.kind, x.c.value == y.c.value, x.c.trip_id < y.c.trip_id))
        .join(a, a.c.id == x.c.trip_id)
        .join(b, b.c.id == y.c.trip_id)
        .where(*where)
        .group_by(a.c.id, b.c.id, a.c.component, b.c.component, a.c.countries, b.c.countries,
                  a.c.depart_on, b.c.depart_on, a.c.return_on, b.c.return_on)
        .order_by(start, a.c.id, b.c.id)
        .limit(limit + 1)
    )  # fmt: skip


def _item(row: Any) -> TripOverlapPair:
    found: dict[str, list[str]] = {}
    for entry in row.reasons:
        kind, _, value = entry.partition(SEP)
        found.setdefault(kind, []).append(value)
    return TripOverlapPair(
        trip_ids=[row.a_id, row.b_id],
        components=[row.a_component, row.b_component],
        countries=sorted(set(row.a_countries) & set(row.b_countries)),
        overlap_start=row.start,
        overlap_end=row.end,
        reasons=[OverlapReason(kind=k, values=sorted(found[k])) for k in KINDS if k in found],
    )


async def trip_overlap_page(
    session: AsyncSession,
    principal: Principal,
    countries: list[str],
    components: list[str],
    after: After | None,
    limit: int,
) -> tuple[list[TripOverlapPair], After | None]:
    """Up to `limit` pairs after the cursor, and the position of the last when more follow."""
    rows = (await session.execute(pairs_statement(principal, countries, components, after, limit))).all()
    items = [_item(row) for row in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    last = rows[limit - 1]
    return items, (last.start, last.a_id, last.b_id)


def encode_after(after: After) -> str:
    payload = {"s": "trip-overlaps", "d": after[0].isoformat(), "a": str(after[1]), "b": str(after[2])}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_after(cursor: str) -> After:
    """The position a cursor names; 400 for anything that is not one of ours."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload["s"] != "trip-overlaps":
            raise ValueError("not a trip-overlaps cursor")
        return date.fromisoformat(payload["d"]), uuid.UUID(payload["a"]), uuid.UUID(payload["b"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc
