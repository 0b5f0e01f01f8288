"""Strategic goal SQL."""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, StrategicGoal
from service.records.params import CollectionParams
from service.records.references import refuse_if_referenced
from service.records.spec import ResourceSpec, Row
from service.records.store import RecordStore, Where
from service.records.where import one_of
from service.strategic_goals.params import StrategicGoalParams
from service.strategic_goals.schemas import (
    StrategicGoalCreate,
    StrategicGoalPatch,
    StrategicGoalRead,
)


class StrategicGoalStore(RecordStore):
    spec = ResourceSpec(
        name="strategic-goals",
        table=StrategicGoal.__table__,
        key="code",
        unique_label="a strategic goal with this code",
        sortable=("code", "framework", "updated_at"),
    )
    read_model = StrategicGoalRead
    create_model = StrategicGoalCreate
    patch_model = StrategicGoalPatch
    params = StrategicGoalParams
    default_sort = "code"
    singular = "strategic_goal"
    list_doc = "List strategic goals (sort: code, framework, updated_at)."

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        activities = Activity.__table__
        linked = and_(
            activities.c.strategic_goal_codes.contains([row["code"]]), activities.c.archived_at.is_(None)
        )
        await refuse_if_referenced(session, "strategic goal", [("activities", linked)])

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, StrategicGoalParams)
        where = await super().where(session, params)
        if params.framework:
            where.append(one_of(self.spec.table.c.framework, params.framework))
        return where


store = StrategicGoalStore()
