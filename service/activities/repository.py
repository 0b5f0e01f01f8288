"""Activity SQL: reference checks and list filters (plain reads and writes live in service.records.sql)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.params import ActivityParams
from service.activities.schemas import ActivityCreate, ActivityPatch, ActivityRead
from service.errors import invalid
from service.models import Activity, Post, StrategicGoal
from service.records.params import CollectionParams, check_component_filter
from service.records.references import COMPONENT, GOAL, POST, check_components, check_live_ids
from service.records.spec import NaturalKey, ResourceSpec, Row
from service.records.store import RecordStore
from service.records.where import Where, any_of, covers_day
from service.schemas.vocab import LIVE_ACTIVITY_STATUSES

TABLE = Activity.__table__


class ActivityStore(RecordStore):
    spec = ResourceSpec(
        name="activities",
        table=TABLE,
        unique_label="an activity with this identifier",
        natural_key=NaturalKey("by-identifier", ("identifier",)),
        marking=("sensitivity", "lead_component"),
        sortable=(
            "id",
            "created_at",
            "updated_at",
            "identifier",
            "title",
            "start_date",
            "end_date",
            "estimated_cost",
        ),
    )
    read_model = ActivityRead
    create_model = ActivityCreate
    patch_model = ActivityPatch
    params = ActivityParams
    owner_field = "lead_component"
    singular = "activity"
    tag = "activities"
    list_doc = (
        "List activities, filtered, searched (q) and sorted (id, created_at, updated_at, identifier, title,\n"
        "    start_date, end_date, estimated_cost; nulls last ascending, first descending)."
    )
    references = {
        "lead_component": COMPONENT,
        "participating_components": COMPONENT,
        "post_ids": POST,
        "strategic_goal_codes": GOAL,
    }
    set_checked_import = True

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

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, ActivityParams)
        await check_component_filter(session, "component", params.component)
        return activity_where(params) + await super().where(session, params)


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


def activity_where(params: ActivityParams) -> Where:
    """WHERE clauses for the filters (q aside: the list ranks by it, the export filters by it)."""
    where = any_of(
        [
            (TABLE.c.lead_component, params.component),
            (TABLE.c.activity_type, params.type),
            (TABLE.c.status, params.status),
        ]
    )
    if params.country:
        where.append(TABLE.c.countries.overlap(params.country))
    if params.partner_country:
        # jsonb containment uses the GIN (jsonb_path_ops) index on foreign_partners.
        partners = params.partner_country
        where.append(or_(*(TABLE.c.foreign_partners.contains([{"country": c}]) for c in partners)))
    if params.active_on is not None:
        where.append(covers_day(TABLE.c.start_date, TABLE.c.end_date, params.active_on))
        # An open end means "still running" only while the activity is live: a completed or
        # cancelled one without an end_date ended on a day nobody recorded, so it matches no day.
        live = [s.value for s in LIVE_ACTIVITY_STATUSES]
        where.append(or_(TABLE.c.end_date.is_not(None), TABLE.c.status.in_(live)))
    return where


store = ActivityStore()
