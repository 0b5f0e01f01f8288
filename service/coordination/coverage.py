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

from service.auth import Principal
from service.coordination.schemas import ActivityRef, GoalCoverage, GoalCoverageView, Unaligned
from service.coordination.tuning import analytic
from service.coordination.unfiltered import ALL_ACTIVITIES
from service.models import Activity, StrategicGoal
from service.records.where import readable
from service.schemas.vocab import LIVE_ACTIVITY_STATUSES

A = Activity.__table__  # what names an activity: clearance applies
EVERY = ALL_ACTIVITIES  # what counts them: every activity, whatever its marking
G = StrategicGoal.__table__
LIVE_STATUSES = [s.value for s in LIVE_ACTIVITY_STATUSES]
UNALIGNED_ITEMS = 50


def live(table: Any) -> list[Any]:
    return [table.c.status.in_(LIVE_STATUSES), table.c.archived_at.is_(None)]


def coverage_query(currency: str) -> Any:
    """Live activities and their cost per distinct goal-code list: ix_activities_live_goals is
    sorted by that list, so this is an index-only scan into a streaming aggregate, and the result
    has one row per combination of goals in use (a handful to a few thousand)."""
    codes = EVERY.c.strategic_goal_codes
    cost = func.coalesce(func.sum(EVERY.c.estimated_cost).filter(EVERY.c.currency == currency), 0)
    counted = select(codes, func.count().label("activities"), cost.label("cost"))
    return counted.where(*live(EVERY)).group_by(codes)


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
    aligned = func.coalesce(A.c.strategic_goal_codes.overlap(live_goals), literal_column("false"))
    return [*live(A), not_(aligned)]


async def _unaligned_items(session: AsyncSession, principal: Principal) -> list[ActivityRef]:
    """The first unaligned ones by id that the caller may see: a primary-key walk that stops after 50."""
    visible = readable(principal, A.c.sensitivity, A.c.lead_component)
    stmt = select(A.c.id, A.c.identifier).where(*_unaligned_where(), visible)
    rows = await session.execute(stmt.order_by(A.c.id).limit(UNALIGNED_ITEMS))
    return [ActivityRef(id=r.id, identifier=r.identifier) for r in rows]


async def goal_coverage(session: AsyncSession, currency: str, principal: Principal) -> GoalCoverageView:
    """Counts over every activity; the unaligned items only those the caller may see."""
    await analytic(session)
    goals, unaligned = await _goals(session, currency)
    items = await _unaligned_items(session, principal)
    return GoalCoverageView(goals=goals, unaligned=Unaligned(count=unaligned, items=items))
