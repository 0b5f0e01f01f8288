"""Activity SQL: reference checks and list filters (plain reads and writes live in service.records.sql)."""

from __future__ import annotations

from sqlalchemy import String, any_, column, func, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.params import ActivityParams
from service.activities.schemas import ActivityCreate, ActivityPatch, ActivityRead
from service.auth import Principal
from service.errors import invalid
from service.models import Activity, Post, StrategicGoal
from service.records.pagination import Sort, decode_cursor
from service.records.params import CollectionParams, check_component_filter
from service.records.references import COMPONENT, GOAL, POST, check_components, check_live_ids
from service.records.spec import NaturalKey, ResourceSpec, Row
from service.records.store import RecordStore
from service.records.where import Where, any_of, covers_day, one_of, visible_where
from service.schemas.vocab import LIVE_ACTIVITY_STATUSES

TABLE = Activity.__table__
# Migration 0004's per-country rows (one per non-archived activity and country, kept exact by
# triggers); ix_activity_countries_list (0010) holds them by (country, activity_id), covering these.
BY_COUNTRY = table(
    "activity_countries",
    column("country", String),
    column("activity_id", TABLE.c.id.type),
    column("status", String),
    column("activity_type", String),
    column("lead_component", String),
    column("sensitivity", String),
    schema="coordination",
)


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

    def seek_where(
        self, params: CollectionParams, principal: Principal, sort: Sort, cursor: str | None, limit: int
    ) -> Where:
        assert isinstance(params, ActivityParams)
        return country_seek(params, principal, sort, cursor, limit)


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
        where.append(or_(TABLE.c.end_date.is_not(None), one_of(TABLE.c.status, live)))
    return where


def country_seek(
    params: ActivityParams, principal: Principal, sort: Sort, cursor: str | None, limit: int
) -> Where:
    """A list of one country's records in id order, filtered by nothing the per-country rows do not
    hold (status, type, component; clearance), reads the page's ids from them: the first `limit` + 1
    from the cursor on, one index-only range of ix_activity_countries_list; PostgreSQL then fetches
    just those rows by primary key instead of filtering every activity from the cursor on (~1,100
    rows for 50 of MX's active ones). The per-country rows are exact (migration 0004's triggers, in
    the writing transaction) and the list keeps its own filters, so the page is the same rows.
    Archived activities have no per-country rows, several countries would not come out in id
    order, and any other filter could drop ids after the cut: those lists keep the plain walk."""
    narrowable = len(params.country) == 1 and sort.column is TABLE.c.id
    others = params.partner_country or params.active_on or params.updated_since or params.q is not None
    if not narrowable or others or params.include_archived:
        return []
    rows = BY_COUNTRY.c
    narrow = [rows.country == params.country[0]]
    narrow += any_of(
        [
            (rows.lead_component, params.component),
            (rows.activity_type, params.type),
            (rows.status, params.status),
        ]
    )
    narrow += visible_where(ActivityStore.spec, principal, BY_COUNTRY)
    if cursor is not None:
        _, after = decode_cursor(cursor, sort, TABLE.c.id)
        narrow.append(rows.activity_id < after if sort.descending else rows.activity_id > after)
    order = rows.activity_id.desc() if sort.descending else rows.activity_id.asc()
    ids = select(rows.activity_id).where(*narrow).order_by(order).limit(limit + 1)
    # ARRAY(...) is computed once (an InitPlan) and probed as `id = ANY(...)`: a primary-key scan
    # of the page's rows in id order, no sort. (A semi-join here is planned from misestimates.)
    return [TABLE.c.id == any_(func.array(ids.scalar_subquery()))]


store = ActivityStore()
