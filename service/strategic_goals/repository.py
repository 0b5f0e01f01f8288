"""Strategic goal SQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import invalid
from service.models import StrategicGoal
from service.records import ResourceSpec, Row
from service.store import RecordStore
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
