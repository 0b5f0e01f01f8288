"""Posting schemas: a position abroad as a client writes it, and as it reads back."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, StringConstraints, ValidationInfo, field_validator

from service.schemas.base import ArchivedMeta, RecordMeta, StrictModel, no_repeats, partial
from service.schemas.types import ComponentCode, CurrencyCode, Day, Money, Text
from service.schemas.vocab import EmploymentCategory, Nsdd38Status, PostingRole, PostingStatus, Sensitivity

PositionNumber = Annotated[
    str,
    StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"),
    Field(description="The client's own unique key for the position", examples=["CBP-MX-0042"]),
]
Fte = Annotated[
    Decimal,
    Field(gt=0, le=1, max_digits=3, decimal_places=2, description="Share of a full-time position, (0, 1]"),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class PostingCreate(StrictModel):
    """A position abroad; the owner is `component`. It describes the job, never the person in it."""

    position_number: PositionNumber
    component: ComponentCode
    post_id: uuid.UUID = Field(description="The post (embassy, consulate...) that fixes city and country")
    position_title: Text(200, 1) = Field(
        description="The position's title, never the incumbent's name", examples=["CBP Attaché"]
    )
    role: PostingRole
    employment_category: EmploymentCategory
    fte: Fte = Decimal(1)
    status: PostingStatus = PostingStatus.proposed
    nsdd38_status: Nsdd38Status = Nsdd38Status.draft
    nsdd38_decided_on: Day | None = None
    tour_start: Day | None = None
    tour_end: Day | None = None
    annual_cost: Money | None = None
    currency: CurrencyCode | None = Field(default=None, validate_default=True)
    activity_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    sensitivity: Sensitivity = Field(
        default=Sensitivity.sbu,
        description="Who may read it: public < sbu < les (readers below it cannot see it at all)",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "position_number": "CBP-MX-0042",
                    "component": "CBP",
                    "post_id": "0190d6a2-8f4e-7c3a-9b1d-2e5f6a7b8c9d",
                    "position_title": "CBP Attaché",
                    "role": "component_attache",
                    "employment_category": "us_direct_hire",
                    "fte": 1,
                    "status": "filled",
                    "nsdd38_status": "approved",
                    "nsdd38_decided_on": "2024-03-01",
                    "tour_start": "2024-08-01",
                    "tour_end": "2027-07-31",
                    "annual_cost": 450000,
                    "currency": "USD",
                }
            ]
        }
    }

    # Field validators (not a model validator) so a 422 points at the offending field.
    @field_validator("tour_end")
    @classmethod
    def _tour_ordered(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("tour_start")
        if value is not None and start is not None and value < start:
            raise ValueError("tour_end must not be before tour_start")
        return value

    @field_validator("currency")
    @classmethod
    def _cost_has_currency(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("annual_cost") is None) != (value is None):
            raise ValueError("annual_cost and currency must be given together")
        return value

    _no_repeats = no_repeats("activity_ids")


PostingPatch = partial(PostingCreate, "PostingPatch")


class PostingRead(ArchivedMeta, RecordMeta, PostingCreate):
    """A posting as stored, with its server-owned fields."""

    model_config = {"extra": "ignore"}

    id: uuid.UUID
