"""The recommendations collection's filters, shared by its list and its export."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.recommendations.schemas import ReportNumber
from service.records.params import CollectionParams, ComponentFilter, IncludeArchived, UpdatedSince
from service.records.search import SearchQuery
from service.schemas.vocab import RecommendationStatus


class RecommendationParams(CollectionParams):
    """Repeated values of one filter mean OR; different filters AND."""

    status: Annotated[list[RecommendationStatus], Query(max_length=4)] = []
    responsible_component: ComponentFilter = []
    report_number: Annotated[list[ReportNumber], Query(max_length=50)] = []
    priority: Annotated[bool | None, Query(description="Only priority (or non-priority) ones")] = None
    overdue: Annotated[bool | None, Query(description="true: target date passed and not closed")] = None
    updated_since: UpdatedSince = None
    include_archived: IncludeArchived = False
    q: SearchQuery = None
