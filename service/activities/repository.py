"""Activity SQL: reference checks and list filters (plain reads and writes live in service.records)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.schemas import ActivityCreate, ActivityPatch, ActivityRead
from service.errors import invalid
from service.models import Activity, Post, StrategicGoal
from service.records import ResourceSpec, Row
from service.store import RecordStore, check_components, check_live_ids

TABLE = Activity.__table__


class ActivityStore(RecordStore):
    spec = ResourceSpec(
        name="activities",
        table=TABLE,
        unique_label="an activity with this identifier",
        sortable=("id", "created_at", "updated_at", "identifier", "title"),
    )
    read_model = ActivityRead
    create_model = ActivityCreate
    patch_model = ActivityPatch
    owner_field = "lead_component"
    singular = "activity"

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        had = frozenset([current["lead_component"], *current["participating_components"]] if current else [])
        await check_components(
            session, "lead_component", [values["lead_component"]], scalar=True, allow_retired=had
        )
        await check_components(
            session,
            "participating_components",
            values["participating_components"],
            allow_retired=had,
        )
        await check_live_ids(session, Post.__table__, "post_ids", values["post_ids"], "post")
        await check_goals(session, values["strategic_goal_codes"])


async def check_goals(session: AsyncSession, codes: list[str]) -> None:
    if not codes:
        return
    goals = StrategicGoal.__table__
    live = set(
        (
            await session.execute(
                select(goals.c.code).where(goals.c.code.in_(codes), goals.c.archived_at.is_(None))
            )
        ).scalars()
    )
    for index, code in enumerate(codes):
        if code not in live:
            raise invalid(
                ["body", "strategic_goal_codes", index],
                f"strategic goal '{code}' does not exist or is archived",
            )


def activity_filters(
    *,
    components: list[str],
    countries: list[str],
    types: list[str],
    statuses: list[str],
    partner_countries: list[str],
    active_on: date | None,
    updated_since: datetime | None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the list; repeated values of one filter mean OR, filters AND."""
    where: list[ColumnElement[bool]] = []
    if components:
        where.append(TABLE.c.lead_component.in_(components))
    if countries:
        where.append(TABLE.c.countries.overlap(countries))
    if types:
        where.append(TABLE.c.activity_type.in_(types))
    if statuses:
        where.append(TABLE.c.status.in_(statuses))
    if partner_countries:
        # jsonb containment uses the GIN (jsonb_path_ops) index on foreign_partners.
        where.append(or_(*(TABLE.c.foreign_partners.contains([{"country": c}]) for c in partner_countries)))
    if active_on is not None:
        where.append(
            and_(
                or_(TABLE.c.start_date.is_(None), TABLE.c.start_date <= active_on),
                or_(TABLE.c.end_date.is_(None), TABLE.c.end_date >= active_on),
            )
        )
    if updated_since is not None:
        where.append(TABLE.c.updated_at >= updated_since)
    return where


__all__ = ["ActivityStore", "Any", "activity_filters"]
