"""The activities collection's filters, shared by its list and its export."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.records.params import (
    CollectionParams,
    ComponentFilter,
    CountryFilter,
    IncludeArchived,
    UpdatedSince,
)
from service.records.search import SearchQuery
from service.schemas.types import Day
from service.schemas.vocab import ActivityStatus, ActivityType

ActiveOn = Annotated[
    Day | None,
    Query(
        description="Only activities running on this day: start_date on or before it (or none) and "
        "end_date on or after it. No end_date means still running only for planned, active and "
        "suspended activities; a completed or cancelled activity without an end_date matches no day "
        "(give it its end_date)."
    ),
]


class ActivityParams(CollectionParams):
    """Repeated values of one filter mean OR; different filters AND."""

    component: ComponentFilter = []
    country: CountryFilter = []
    type: Annotated[list[ActivityType], Query(max_length=15)] = []
    status: Annotated[list[ActivityStatus], Query(max_length=5)] = []
    partner_country: CountryFilter = []
    active_on: ActiveOn = None
    updated_since: UpdatedSince = None
    include_archived: IncludeArchived = False
    q: SearchQuery = None
