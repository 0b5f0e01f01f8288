"""The dashboard's one way to the data: the coordination views' own repository functions (the same
ones /api/v1 serves as JSON), called for the signed-in principal.

Every read goes through `DashboardReader`, which holds the signed-in principal and hands it to each
view that names records (clearance: the same rules as the JSON views, since it is the same code).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.coordination.country import country_profile
from service.coordination.coverage import goal_coverage
from service.coordination.footprint import footprint
from service.coordination.overlaps import OverlapFilter, overlap_page
from service.coordination.schemas import (
    CountryProfile,
    Footprint,
    GoalCoverageView,
    OverlapPair,
    RecommendationSummary,
)
from service.coordination.summary import recommendation_summary
from service.deadlines.repository import deadline_page
from service.deadlines.schemas import DeadlineRow
from service.models import Activity

T = TypeVar("T")
OVERLAPS_PER_PAGE = 25
DEADLINES_SHOWN = 200


@dataclass(frozen=True)
class ActivityLabel:
    identifier: str
    title: str
    lead_component: str


async def _activity_labels(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, ActivityLabel]:
    """Identifier, title and lead of the activities a page of overlap pairs names (the pairs carry
    only ids). A primary-key lookup of at most two rows per pair, not a copy of the view's query."""
    if not ids:
        return {}
    table = Activity.__table__
    rows = await session.execute(
        select(table.c.id, table.c.identifier, table.c.title, table.c.lead_component).where(
            table.c.id.in_(ids)
        )
    )
    return {r.id: ActivityLabel(r.identifier, r.title, r.lead_component) for r in rows}


class DashboardReader:
    """What the pages read, for one request: the request's session and the signed-in principal."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def footprint(self) -> Footprint:
        """The whole footprint, as GET /api/v1/footprint answers without filters."""
        return await footprint(self.session, [], [], None)

    async def country(self, code: str) -> CountryProfile:
        return await country_profile(self.session, code, self.principal)

    def overlap_filter(self, countries: list[str], min_score: int, include_marked: bool) -> OverlapFilter:
        return OverlapFilter(
            countries=countries,
            components=[],
            min_score=min_score,
            include_marked=include_marked,
            markings=self.principal.markings,
            editor=self.principal.editor_component,
        )

    async def overlaps(
        self, flt: OverlapFilter, cursor: str | None
    ) -> tuple[list[OverlapPair], str | None, dict[uuid.UUID, ActivityLabel]]:
        """One page of pairs, the next page's cursor, and labels for the activities named."""
        pairs, next_cursor = await overlap_page(self.session, flt, cursor, OVERLAPS_PER_PAGE)
        ids = sorted({i for pair in pairs for i in pair.activity_ids})
        return pairs, next_cursor, await _activity_labels(self.session, ids)

    async def recommendations(self) -> RecommendationSummary:
        return await recommendation_summary(self.session, datetime.now(UTC).date())

    async def coverage(self, currency: str) -> GoalCoverageView:
        return await goal_coverage(self.session, currency, self.principal)

    async def deadlines(self, within_days: int) -> list[DeadlineRow]:
        """What comes due within that many days (overdue first), as GET /api/v1/deadlines answers it,
        capped at one long page: the page is a worklist, the API pages through the rest."""
        page = await deadline_page(self.session, self.principal, within_days, [], [], None, DEADLINES_SHOWN)
        return page[0]
