"""The trips collection's filters, shared by its list and its export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from service.records.params import (
    ActiveOn,
    CollectionParams,
    ComponentFilter,
    CountryFilter,
    IncludeArchived,
    UpdatedSince,
)
from service.schemas.vocab import ClearanceStatus

IdFilter = Annotated[list[uuid.UUID], Query(max_length=50, description="Repeat for OR")]


class TripParams(CollectionParams):
    """Repeated values of one filter mean OR; different filters AND."""

    component: ComponentFilter = []
    country: CountryFilter = []
    post_id: IdFilter = []
    activity_id: IdFilter = []
    clearance_status: Annotated[list[ClearanceStatus], Query(max_length=6)] = []
    active_on: ActiveOn = None
    late_clearance: Annotated[
        bool | None,
        Query(
            description="true: only trips whose country clearance is late (requested fewer than "
            "CLEARANCE_LEAD_DAYS days before departure, or not requested with departure closer than "
            "that); false: only the others"
        ),
    ] = None
    updated_since: UpdatedSince = None
    include_archived: IncludeArchived = False
