"""Trip SQL: reference checks, list filters and the late-clearance rule (plain reads and writes live in
service.records.sql)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, literal, not_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import get_settings
from service.models import Activity, Post, Trip
from service.records.params import CollectionParams, check_component_filter
from service.records.references import ACTIVITY, COMPONENT, POST, check_components, check_live_ids
from service.records.spec import NaturalKey, ResourceSpec, Row
from service.records.store import RecordStore
from service.records.where import Where, any_of, covers_day
from service.schemas.vocab import ClearanceStatus
from service.trips.params import TripParams
from service.trips.schemas import TripCreate, TripPatch, TripRead

TABLE = Trip.__table__


class TripStore(RecordStore):
    spec = ResourceSpec(
        name="trips",
        table=TABLE,
        unique_label="a trip with this reference",
        natural_key=NaturalKey("by-reference", ("reference",)),
        marking=("sensitivity", "component"),
        sortable=("id", "created_at", "updated_at", "reference", "depart_on", "return_on"),
    )
    read_model = TripRead
    create_model = TripCreate
    patch_model = TripPatch
    params = TripParams
    owner_field = "component"
    singular = "trip"
    tag = "trips"
    list_doc = (
        "List trips abroad, filtered and sorted "
        "(id, created_at, updated_at, reference, depart_on, return_on)."
    )
    references = {"component": COMPONENT, "post_ids": POST, "activity_ids": ACTIVITY}
    set_checked_import = True

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        had = frozenset([current["component"]] if current else [])
        await check_components(session, "component", [values["component"]], scalar=True, allow_retired=had)
        await check_live_ids(session, Post.__table__, "post_ids", values["post_ids"], "post")
        await check_live_ids(session, Activity.__table__, "activity_ids", values["activity_ids"], "activity")

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, TripParams)
        await check_component_filter(session, "component", params.component)
        return trip_where(params) + await super().where(session, params)


def late_clearance(lead_days: int | None = None) -> ColumnElement[bool]:
    """The eCC rule: requested fewer than `lead_days` (CLEARANCE_LEAD_DAYS) days before departure, or
    not requested while departure is fewer than that many days from today (the database's date).
    Exactly `lead_days` ahead is in time."""
    lead = literal(get_settings().clearance_lead_days if lead_days is None else lead_days)
    requested_late = and_(
        TABLE.c.clearance_status == ClearanceStatus.requested.value,
        TABLE.c.depart_on - TABLE.c.clearance_requested_on < lead,
    )
    unrequested_late = and_(
        TABLE.c.clearance_status == ClearanceStatus.not_requested.value,
        TABLE.c.depart_on - func.current_date() < lead,
    )
    return or_(requested_late, unrequested_late)


def trip_where(params: TripParams) -> Where:
    """WHERE clauses for the filters; array filters use the GIN indexes (&&)."""
    where = any_of(
        [(TABLE.c.component, params.component), (TABLE.c.clearance_status, params.clearance_status)]
    )
    for column, values in (
        (TABLE.c.countries, params.country),
        (TABLE.c.post_ids, params.post_id),
        (TABLE.c.activity_ids, params.activity_id),
    ):
        if values:
            where.append(column.overlap(values))
    if params.active_on is not None:
        where.append(covers_day(TABLE.c.depart_on, TABLE.c.return_on, params.active_on))
    if params.late_clearance is not None:
        late = late_clearance()
        where.append(late if params.late_clearance else not_(late))
    return where


store = TripStore()
