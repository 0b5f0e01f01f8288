"""Strategic goal schemas: the plan activities align to."""

from __future__ import annotations

from pydantic import Field

from service.schemas.base import ArchivedMeta, RecordMeta, StrictModel, partial
from service.schemas.types import GoalCode, Text


class StrategicGoalCreate(StrictModel):
    """One goal of a strategic framework (e.g. a QHSR 2023 mission)."""

    code: GoalCode
    framework: Text(50, 1) = Field(examples=["QHSR-2023"])
    title: Text(300, 1)


StrategicGoalPatch = partial(StrategicGoalCreate, "StrategicGoalPatch")


class StrategicGoalRead(ArchivedMeta, RecordMeta, StrategicGoalCreate):
    model_config = {"extra": "ignore"}
