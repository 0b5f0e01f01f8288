"""The postings collection's filters, shared by its list and its export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from service.records.params import (
    CollectionParams,
    ComponentFilter,
    CountryFilter,
    IncludeArchived,
    UpdatedSince,
)
from service.schemas.types import Text
from service.schemas.vocab import EmploymentCategory, Nsdd38Status, PostingRole, PostingStatus


class PostingParams(CollectionParams):
    """Repeated values of one filter mean OR; different filters AND."""

    component: ComponentFilter = []
    country: CountryFilter = []
    post_id: Annotated[list[uuid.UUID], Query(max_length=50)] = []
    city: Annotated[list[Text(100, 1)], Query(max_length=50)] = []  # type: ignore[valid-type]
    status: Annotated[list[PostingStatus], Query(max_length=5)] = []
    role: Annotated[list[PostingRole], Query(max_length=6)] = []
    employment_category: Annotated[list[EmploymentCategory], Query(max_length=4)] = []
    nsdd38_status: Annotated[list[Nsdd38Status], Query(max_length=6)] = []
    updated_since: UpdatedSince = None
    include_archived: IncludeArchived = False
