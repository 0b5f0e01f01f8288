"""Recommendation SQL: reference checks and list filters (plain reads and writes live in
service.records.sql; the status workflow in service.recommendations.updates)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, Posting, Recommendation
from service.recommendations.params import RecommendationParams
from service.recommendations.schemas import (
    CLOSED,
    RecommendationCreate,
    RecommendationPatch,
    RecommendationRead,
)
from service.records.params import CollectionParams, check_component_filter
from service.records.references import ACTIVITY, COMPONENT, POSTING, check_components, check_live_ids
from service.records.spec import NaturalKey, ResourceSpec, Row
from service.records.store import RecordStore
from service.records.where import Where, any_of
from service.schemas.vocab import RecommendationStatus

TABLE = Recommendation.__table__


class RecommendationStore(RecordStore):
    spec = ResourceSpec(
        name="recommendations",
        table=TABLE,
        unique_label="a recommendation with this report_number and number",
        natural_key=NaturalKey("by-number", ("report_number", "number")),
        sortable=(
            "id",
            "created_at",
            "updated_at",
            "report_date",
            "report_number",
            "number",
            "target_date",
        ),
    )
    read_model = RecommendationRead
    create_model = RecommendationCreate
    patch_model = RecommendationPatch
    params = RecommendationParams
    owner_field = None  # only admins create, edit and archive; editors post status updates
    singular = "recommendation"
    tag = "recommendations"
    list_doc = (
        "List recommendations, filtered, searched (q) and sorted (id, created_at, updated_at, report_date,\n"
        "    report_number, number, target_date; nulls last ascending, first descending)."
    )
    references = {"responsible_component": COMPONENT, "activity_ids": ACTIVITY, "posting_ids": POSTING}

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

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, RecommendationParams)
        await check_component_filter(session, "responsible_component", params.responsible_component)
        return recommendation_where(params) + await super().where(session, params)


def overdue_clause() -> ColumnElement[bool]:
    """Target date passed and not closed (today is the database's date)."""
    return and_(TABLE.c.target_date < func.current_date(), TABLE.c.status.not_in(CLOSED))


def recommendation_where(params: RecommendationParams) -> Where:
    """WHERE clauses for the filters (q aside: the list ranks by it, the export filters by it)."""
    where = any_of(
        [
            (TABLE.c.status, params.status),
            (TABLE.c.responsible_component, params.responsible_component),
            (TABLE.c.report_number, params.report_number),
        ]
    )
    if params.priority is not None:
        where.append(TABLE.c.priority.is_(params.priority))
    if params.overdue is True:
        where.append(overdue_clause())
    elif params.overdue is False:
        # Spelled out: NOT(overdue) would be NULL, not true, for rows without a target date.
        where.append(or_(TABLE.c.target_date.is_(None), not_(overdue_clause())))
    return where


store = RecommendationStore()
