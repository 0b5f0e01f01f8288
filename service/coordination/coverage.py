"""Strategic goal coverage: how many live activities (and how much estimated cost) each goal has, and
which live activities are aligned to no goal.

An activity aligned to several goals counts in full under each. Costs are summed only in the
requested currency (USD by default), since estimates in different currencies cannot be added. An
activity counts as unaligned when none of its goal codes names a live (non-archived) goal. One
index-only pass groups the live activities by their list of goal codes; the few rows that gives are
spread over the goals here. The first 50 unaligned come from a primary-key walk.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal_column, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.schemas import ActivityRef, GoalCoverage, GoalCoverageView, Unaligned
from service.coordination.tuning import analytic
from service.models import Activity, StrategicGoal
from service.schemas.vocab import LIVE_ACTIVITY_STATUSES

A = Activity.__table__
G = StrategicGoal.__table__
LIVE = [A.c.status.in_([s.value for s in LIVE_ACTIVITY_STATUSES]), A.c.archived_at.is_(None)]
UNALIGNED_ITEMS = 50


def coverage_query(currency: str) -> Any:
    """Live activities and their cost per distinct goal-code list: ix_activities_live_goals is
    sorted by that list, so this is an index-only scan into a streaming aggregate, and the result
    has one row per combination of goals in use (a handful to a few thousand)."""
    codes = A.c.strategic_goal_codes
    cost = func.coalesce(func.sum(A.c.estimated_cost).filter(A.c.currency == currency), 0)
    return select(codes, func.count().label("activities"), cost.label("cost")).where(*LIVE).group_by(codes)


async def _goals(session: AsyncSession, currency: str) -> tuple[list[GoalCoverage], int]:
    """Every live goal with its coverage (zero included), and how many are aligned to none."""
    goals = (
        await session.execute(
            select(G.c.code, G.c.framework).where(G.c.archived_at.is_(None)).order_by(G.c.framework, G.c.code)
        )
    ).all()
    live = {g.code for g in goals}
    activities: dict[str, int] = dict.fromkeys(live, 0)
    costs: dict[str, Decimal] = dict.fromkeys(live, Decimal(0))
    unaligned = 0
    for combination, count, cost in (await session.execute(coverage_query(currency))).all():
        aligned = live.intersection(combination)
        unaligned += 0 if aligned else count
        for code in aligned:  # in full under each goal it names
            activities[code] += count
            costs[code] += cost
    coverage = [
        GoalCoverage(
            code=g.code,
            framework=g.framework,
            activities=activities[g.code],
            estimated_cost=float(costs[g.code]),
        )
        for g in goals
    ]
    return coverage, unaligned


def _unaligned_where() -> list[Any]:
    live_goals = select(func.array_agg(G.c.code)).where(G.c.archived_at.is_(None)).scalar_subquery()
    return [*LIVE, not_(func.coalesce(A.c.strategic_goal_codes.overlap(live_goals), literal_column("false")))]


async def _unaligned_items(session: AsyncSession) -> list[ActivityRef]:
    """The first unaligned ones by id: a primary-key walk that stops after 50."""
    rows = await session.execute(
        select(A.c.id, A.c.identifier).where(*_unaligned_where()).order_by(A.c.id).limit(UNALIGNED_ITEMS)
    )
    return [ActivityRef(id=r.id, identifier=r.identifier) for r in rows]


async def goal_coverage(session: AsyncSession, currency: str) -> GoalCoverageView:
    await analytic(session)
    goals, unaligned = await _goals(session, currency)
    items = await _unaligned_items(session)
    return GoalCoverageView(goals=goals, unaligned=Unaligned(count=unaligned, items=items))
