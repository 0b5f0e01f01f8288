"""The strategic goals collection's filters, shared by its list and its export."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.records.params import CollectionParams, IncludeArchived, UpdatedSince
from service.schemas.types import Text


class StrategicGoalParams(CollectionParams):
    """Repeated values of one filter mean OR; different filters AND."""

    framework: Annotated[list[Text(50, 1)], Query(max_length=20)] = []  # type: ignore[valid-type]
    updated_since: UpdatedSince = None
    include_archived: IncludeArchived = False
