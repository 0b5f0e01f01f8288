"""The recommendations summary: where the Inspector General's findings stand, straight from the
recommendations table (2,000 rows at most: plain aggregates, no index needed).

Archived recommendations are left out. Overdue = target date before `as_of` and not closed; open for
more than a year = reported more than 365 days before `as_of` and not closed (what the GAO-IG Act
asks agencies to report). `as_of` defaults to today (UTC).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.schemas import (
    ComponentStatusCounts,
    LongOpenRecommendation,
    OverdueRecommendation,
    RecommendationSummary,
    StatusCounts,
)
from service.models import Recommendation
from service.schemas.vocab import RecommendationStatus

R = Recommendation.__table__.c
STATUSES = [s.value for s in RecommendationStatus]
CLOSED = (RecommendationStatus.closed_implemented.value, RecommendationStatus.closed_not_implemented.value)


async def _counts(session: AsyncSession) -> tuple[StatusCounts, list[ComponentStatusCounts]]:
    rows = (
        await session.execute(
            select(R.responsible_component, R.status, func.count().label("n"))
            .where(R.archived_at.is_(None))
            .group_by(R.responsible_component, R.status)
        )
    ).all()
    totals = dict.fromkeys(STATUSES, 0)
    by_component: dict[str, dict[str, int]] = {}
    for row in rows:
        totals[row.status] += row.n
        by_component.setdefault(row.responsible_component, dict.fromkeys(STATUSES, 0))[row.status] = row.n
    components = [ComponentStatusCounts(component=c, **counts) for c, counts in sorted(by_component.items())]
    return StatusCounts(**totals), components


async def _overdue(session: AsyncSession, as_of: date) -> list[OverdueRecommendation]:
    late = (as_of - R.target_date).label("days_overdue")
    rows = await session.execute(
        select(R.id, R.report_number, R.number, R.target_date, late)
        .where(R.archived_at.is_(None), R.status.not_in(CLOSED), R.target_date < as_of)
        .order_by(late.desc(), R.report_number, R.number)
    )
    return [OverdueRecommendation.model_validate(row._asdict()) for row in rows]


async def _long_open(session: AsyncSession, as_of: date) -> list[LongOpenRecommendation]:
    age = (as_of - R.report_date).label("days_open")
    rows = await session.execute(
        select(R.id, R.report_number, R.number, R.report_date, age)
        .where(and_(R.archived_at.is_(None), R.status.not_in(CLOSED), age > 365))
        .order_by(age.desc(), R.report_number, R.number)
    )
    return [LongOpenRecommendation.model_validate(row._asdict()) for row in rows]


async def recommendation_summary(session: AsyncSession, as_of: date) -> RecommendationSummary:
    by_status, by_component = await _counts(session)
    return RecommendationSummary(
        by_status=by_status,
        by_component=by_component,
        overdue=await _overdue(session, as_of),
        open_over_one_year=await _long_open(session, as_of),
    )
