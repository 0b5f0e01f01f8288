"""Strategic goal SQL."""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import invalid
from service.models import Activity, StrategicGoal
from service.records import ResourceSpec, Row
from service.store import RecordStore, refuse_if_referenced
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
    singular = "strategic_goal"

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        if current is not None and values["code"] != current["code"]:
            raise invalid(["body", "code"], "a strategic goal's code cannot change")

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        activities = Activity.__table__
        linked = and_(
            activities.c.strategic_goal_codes.contains([row["code"]]), activities.c.archived_at.is_(None)
        )
        await refuse_if_referenced(session, "strategic goal", [("activities", linked)])
