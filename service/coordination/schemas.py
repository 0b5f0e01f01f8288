"""Response shapes of the coordination views (see "Coordination views" in API.md).

Counts are integers and money and FTE sums are JSON numbers; every breakdown is a list of rows that
name their own key, sorted by that key so responses are stable.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from service.schemas.base import StrictModel
from service.schemas.types import Text, Timestamp
from service.schemas.vocab import OverlapStatus


class Positions(BaseModel):
    """Postings in scope by status (every status listed, zero included)."""

    proposed: int
    approved: int
    filled: int
    vacant: int
    abolished: int


class ComponentFootprint(BaseModel):
    component: str
    officials: float = Field(description="Sum of fte of its filled postings")
    positions: int = Field(description="Its postings in scope, any status")
    countries: int = Field(description="Countries where it has a filled posting")


class CountryFootprint(BaseModel):
    country: str
    officials: float = Field(description="Sum of fte of filled postings there")
    positions: int = Field(description="Postings there, any status")
    components: int = Field(description="Components with a filled posting there")
    travelers_abroad: int = Field(
        description="Travellers of trips there on the day (a trip counts in each country)"
    )


class Footprint(BaseModel):
    """Who DHS has abroad: officials are FTE of filled postings; places count only filled postings;
    travellers abroad are those of live trips (not cancelled or denied) whose dates include the day."""

    officials: float
    travelers_abroad: int = Field(
        description="Sum of travelers of trips under way on the day (as_of or today)"
    )
    positions: Positions
    components: int
    posts: int
    cities: int
    countries: int
    by_component: list[ComponentFootprint]
    by_country: list[CountryFootprint]


class PostingCount(BaseModel):
    component: str
    status: str
    count: int


class ActivityCount(BaseModel):
    activity_type: str
    status: str
    count: int


class PartnerPresence(BaseModel):
    name: str
    country: str
    partner_type: str
    activities: int = Field(description="Live activities in this country working with the partner")


class LinkedRecommendation(BaseModel):
    id: uuid.UUID
    report_number: str
    number: int
    title: str
    status: str
    responsible_component: str
    target_date: date | None


class TripPresence(BaseModel):
    component: str
    count: int = Field(description="Its trips there under way or departing within 90 days")
    travelers: int


class CountryProfile(BaseModel):
    country: str
    name: str
    officials: float
    postings: list[PostingCount]
    activities: list[ActivityCount]
    foreign_partners: list[PartnerPresence]
    open_recommendations: list[LinkedRecommendation]
    trips: list[TripPresence] = Field(description="Current and upcoming (next 90 days) trips, by component")


class OverlapReason(BaseModel):
    """What else the two activities share: `kind` and the shared values."""

    kind: str = Field(description="same_activity_type | shared_partner | shared_post | shared_goal")
    values: list[str]


class OverlapPair(BaseModel):
    activity_ids: list[uuid.UUID] = Field(description="The pair, lower id first")
    countries: list[str]
    score: int = Field(description="How many kinds of thing the pair shares (0..4)")
    reasons: list[OverlapReason]
    status: OverlapStatus


class TripOverlapPair(BaseModel):
    """Two components' trips meeting in a country at the same time, over a shared activity or partner."""

    trip_ids: list[uuid.UUID] = Field(description="The pair, lower id first")
    components: list[str] = Field(description="Each trip's component, in trip_ids order")
    countries: list[str] = Field(description="The countries both trips go to")
    overlap_start: date
    overlap_end: date
    reasons: list[OverlapReason] = Field(description="shared_activity (ids) and/or shared_partner (names)")


class OverlapMarkBody(StrictModel):
    """OIA's judgement on a pair; `open` takes a pair back onto the default list."""

    status: OverlapStatus
    note: Text(2000, 1)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"status": "deconflicted", "note": "ICE hands its Manzanillo screening to CBP from FY26."}
            ]
        }
    }


class OverlapMarkRead(BaseModel):
    activity_ids: list[uuid.UUID]
    status: OverlapStatus
    note: str | None
    version: int
    updated_at: Timestamp
    updated_by: str


class StatusCounts(BaseModel):
    open_unresolved: int
    open_resolved: int
    closed_implemented: int
    closed_not_implemented: int


class ComponentStatusCounts(StatusCounts):
    component: str


class OverdueRecommendation(BaseModel):
    id: uuid.UUID
    report_number: str
    number: int
    target_date: date
    days_overdue: int


class LongOpenRecommendation(BaseModel):
    id: uuid.UUID
    report_number: str
    number: int
    report_date: date
    days_open: int


class RecommendationSummary(BaseModel):
    by_status: StatusCounts
    by_component: list[ComponentStatusCounts]
    overdue: list[OverdueRecommendation] = Field(
        description="Target date passed, not closed; most late first"
    )
    open_over_one_year: list[LongOpenRecommendation] = Field(
        description="Reported more than 365 days ago and not closed; oldest first"
    )


class GoalCoverage(BaseModel):
    code: str
    framework: str
    activities: int = Field(description="Live activities aligned to the goal")
    estimated_cost: float = Field(description="Sum of their estimates in the requested currency")


class ActivityRef(BaseModel):
    id: uuid.UUID
    identifier: str


class Unaligned(BaseModel):
    count: int
    items: list[ActivityRef] = Field(description="The first 50, oldest first")


class GoalCoverageView(BaseModel):
    goals: list[GoalCoverage]
    unaligned: Unaligned
