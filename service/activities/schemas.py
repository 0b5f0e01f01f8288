"""Activity schemas: what a client sends (create / merge patch) and what it reads back."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from service.schemas.base import ArchivedMeta, RecordMeta, StrictModel, no_repeats, partial
from service.schemas.types import (
    ComponentCode,
    CountryCode,
    CurrencyCode,
    Day,
    FiscalYear,
    GoalCode,
    Money,
    Tag,
    Text,
)
from service.schemas.vocab import ActivityStatus, ActivityType, PartnerType, Sensitivity

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"),
    Field(description="The client's own unique key for the activity", examples=["CBP-CSI-MX-001"]),
]


class ForeignPartner(StrictModel):
    name: Text(200, 1)
    country: CountryCode
    partner_type: PartnerType


class ActivityCreate(StrictModel):
    """An international activity as a client writes it; the owner is `lead_component`."""

    identifier: Identifier
    title: Text(300, 1)
    description: Text(10_000) | None = None
    activity_type: ActivityType
    status: ActivityStatus = ActivityStatus.planned
    lead_component: ComponentCode
    participating_components: list[ComponentCode] = Field(default_factory=list, max_length=30)
    countries: list[CountryCode] = Field(min_length=1, max_length=100)
    post_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    foreign_partners: list[ForeignPartner] = Field(default_factory=list, max_length=50)
    strategic_goal_codes: list[GoalCode] = Field(default_factory=list, max_length=20)
    start_date: Day | None = None
    end_date: Day | None = None
    estimated_cost: Money | None = None
    currency: CurrencyCode | None = Field(default=None, validate_default=True)
    fiscal_year: FiscalYear | None = None
    sensitivity: Sensitivity = Sensitivity.public
    tags: list[Tag] = Field(default_factory=list, max_length=30)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "identifier": "CBP-CSI-MX-001",
                    "title": "Container Security Initiative, Port of Manzanillo",
                    "activity_type": "cargo_prescreening",
                    "status": "active",
                    "lead_component": "CBP",
                    "participating_components": ["ICE"],
                    "countries": ["MX"],
                    "foreign_partners": [
                        {
                            "name": "Agencia Nacional de Aduanas de México",
                            "country": "MX",
                            "partner_type": "customs",
                        }
                    ],
                    "strategic_goal_codes": ["QHSR23-M2"],
                    "start_date": "2024-10-01",
                    "estimated_cost": 1250000,
                    "currency": "USD",
                    "fiscal_year": 2025,
                }
            ]
        }
    }

    # Field validators (not a model validator) so a 422 points at the offending field.
    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError("end_date must not be before start_date")
        return value

    @field_validator("currency")
    @classmethod
    def _cost_has_currency(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("estimated_cost") is None) != (value is None):
            raise ValueError("estimated_cost and currency must be given together")
        return value

    _no_repeats = no_repeats(
        "participating_components", "countries", "post_ids", "strategic_goal_codes", "tags"
    )


ActivityPatch = partial(ActivityCreate, "ActivityPatch")


class ActivityRead(ArchivedMeta, RecordMeta, ActivityCreate):
    """An activity as stored, with its server-owned fields."""

    model_config = {"extra": "ignore"}

    id: uuid.UUID
