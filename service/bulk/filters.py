"""The export's filters: the same query parameters and WHERE clauses as each resource's list.

Each dependency mirrors its list endpoint's filter parameters (not sort, limit or cursor: an export
is every matching row, in id order; `q` filters but does not rank) and reuses the resource's own
filter function, so a filter means the same in both places. Reference data (posts, components,
strategic goals) exports with `updated_since` and `include_archived`.

No `from __future__ import annotations`: FastAPI reads these signatures at runtime.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query
from sqlalchemy import ColumnElement

from service import records
from service.activities.repository import activity_filters
from service.db import SessionDep
from service.filters import (
    ActiveOn,
    ComponentFilter,
    CountryFilter,
    IncludeArchived,
    UpdatedSince,
    check_component_filter,
)
from service.postings.repository import posting_filters
from service.recommendations.repository import recommendation_filters
from service.recommendations.schemas import ReportNumber
from service.search import SearchQuery, matches
from service.store import RecordStore
from service.types import Text
from service.vocab import (
    ActivityStatus,
    ActivityType,
    EmploymentCategory,
    Nsdd38Status,
    PostingRole,
    PostingStatus,
    RecommendationStatus,
)

Where = list[ColumnElement[bool]]
FilterDependency = Callable[..., Awaitable[Where]]


def activities(store: RecordStore) -> FilterDependency:
    async def where(
        session: SessionDep,
        component: ComponentFilter = [],  # noqa: B006 - FastAPI copies defaults
        country: CountryFilter = [],  # noqa: B006
        type: Annotated[list[ActivityType], Query(max_length=15)] = [],  # noqa: B006
        status: Annotated[list[ActivityStatus], Query(max_length=5)] = [],  # noqa: B006
        partner_country: CountryFilter = [],  # noqa: B006
        active_on: ActiveOn = None,
        updated_since: UpdatedSince = None,
        include_archived: IncludeArchived = False,
        q: SearchQuery = None,
    ) -> Where:
        await check_component_filter(session, "component", component)
        where = activity_filters(
            components=component,
            countries=country,
            types=type,
            statuses=status,
            partner_countries=partner_country,
            active_on=active_on,
            updated_since=updated_since,
        ) + records.live_only(store.spec, include_archived)
        return where + ([matches(store.spec.table, q)] if q else [])

    return where


def postings(store: RecordStore) -> FilterDependency:
    async def where(
        session: SessionDep,
        component: ComponentFilter = [],  # noqa: B006
        country: CountryFilter = [],  # noqa: B006
        post_id: Annotated[list[uuid.UUID], Query(max_length=50)] = [],  # noqa: B006
        city: Annotated[list[Text(100, 1)], Query(max_length=50)] = [],  # noqa: B006
        status: Annotated[list[PostingStatus], Query(max_length=5)] = [],  # noqa: B006
        role: Annotated[list[PostingRole], Query(max_length=6)] = [],  # noqa: B006
        employment_category: Annotated[list[EmploymentCategory], Query(max_length=4)] = [],  # noqa: B006
        nsdd38_status: Annotated[list[Nsdd38Status], Query(max_length=6)] = [],  # noqa: B006
        updated_since: UpdatedSince = None,
        include_archived: IncludeArchived = False,
    ) -> Where:
        await check_component_filter(session, "component", component)
        return posting_filters(
            components=component,
            countries=country,
            post_ids=post_id,
            cities=city,
            statuses=status,
            roles=role,
            categories=employment_category,
            nsdd38_statuses=nsdd38_status,
            updated_since=updated_since,
        ) + records.live_only(store.spec, include_archived)

    return where


def recommendations(store: RecordStore) -> FilterDependency:
    async def where(
        session: SessionDep,
        status: Annotated[list[RecommendationStatus], Query(max_length=4)] = [],  # noqa: B006
        responsible_component: ComponentFilter = [],  # noqa: B006
        report_number: Annotated[list[ReportNumber], Query(max_length=50)] = [],  # noqa: B006
        priority: Annotated[bool | None, Query(description="Only priority (or non-priority) ones")] = None,
        overdue: Annotated[bool | None, Query(description="true: target date passed and not closed")] = None,
        updated_since: UpdatedSince = None,
        include_archived: IncludeArchived = False,
    ) -> Where:
        await check_component_filter(session, "responsible_component", responsible_component)
        return recommendation_filters(
            statuses=status,
            components=responsible_component,
            report_numbers=report_number,
            priority=priority,
            overdue=overdue,
            updated_since=updated_since,
        ) + records.live_only(store.spec, include_archived)

    return where


def reference_data(store: RecordStore) -> FilterDependency:
    updated_at = store.spec.table.c.updated_at

    async def where(updated_since: UpdatedSince = None, include_archived: IncludeArchived = False) -> Where:
        clauses = records.live_only(store.spec, include_archived)
        if updated_since is not None:
            clauses.append(updated_at >= updated_since)
        return clauses

    return where


BY_RESOURCE: dict[str, Callable[[RecordStore], FilterDependency]] = {
    "activities": activities,
    "postings": postings,
    "recommendations": recommendations,
}


def export_filters(store: RecordStore) -> FilterDependency:
    """The dependency that turns an export's query parameters into WHERE clauses."""
    return BY_RESOURCE.get(store.spec.name, reference_data)(store)
