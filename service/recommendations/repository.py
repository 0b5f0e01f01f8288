"""Recommendation SQL: reference checks and list filters (plain reads and writes live in
service.records; the status workflow in service.recommendations.updates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, Posting, Recommendation
from service.recommendations.schemas import (
    CLOSED,
    RecommendationCreate,
    RecommendationPatch,
    RecommendationRead,
)
from service.records import ResourceSpec, Row
from service.store import RecordStore, check_components, check_live_ids
from service.vocab import RecommendationStatus

TABLE = Recommendation.__table__


class RecommendationStore(RecordStore):
    spec = ResourceSpec(
        name="recommendations",
        table=TABLE,
        unique_label="a recommendation with this report_number and number",
        sortable=("id", "created_at", "updated_at", "report_date", "report_number", "number"),
    )
    read_model = RecommendationRead
    create_model = RecommendationCreate
    patch_model = RecommendationPatch
    owner_field = None  # only admins create, edit and archive; editors post status updates
    singular = "recommendation"

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        had = frozenset([current["responsible_component"]] if current else [])
        await check_components(
            session,
            "responsible_component",
            [values["responsible_component"]],
            scalar=True,
            allow_retired=had,
        )
        await check_live_ids(session, Activity.__table__, "activity_ids", values["activity_ids"], "activity")
        await check_live_ids(session, Posting.__table__, "posting_ids", values["posting_ids"], "posting")
        if current is None:
            # Not a client field: every recommendation starts open, and only its updates move it.
            values["status"] = RecommendationStatus.open_unresolved


def overdue_clause() -> ColumnElement[bool]:
    """Target date passed and not closed (today is the database's date)."""
    return and_(TABLE.c.target_date < func.current_date(), TABLE.c.status.not_in(CLOSED))


def recommendation_filters(
    *,
    statuses: Sequence[str],
    components: Sequence[str],
    report_numbers: Sequence[str],
    priority: bool | None,
    overdue: bool | None,
    updated_since: datetime | None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the list; repeated values of one filter mean OR, filters AND."""
    where: list[ColumnElement[bool]] = []
    for column, values in (
        (TABLE.c.status, statuses),
        (TABLE.c.responsible_component, components),
        (TABLE.c.report_number, report_numbers),
    ):
        if values:
            where.append(column.in_(values))
    if priority is not None:
        where.append(TABLE.c.priority.is_(priority))
    if overdue is True:
        where.append(overdue_clause())
    elif overdue is False:
        # Spelled out: NOT(overdue) would be NULL, not true, for rows without a target date.
        where.append(or_(TABLE.c.target_date.is_(None), not_(overdue_clause())))
    if updated_since is not None:
        where.append(TABLE.c.updated_at >= updated_since)
    return where
