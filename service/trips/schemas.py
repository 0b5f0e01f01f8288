"""Trip schemas: a trip abroad as a client writes it, and as it reads back.

The clearance dates follow the eCC request's life: `clearance_requested_on` is set once a request
went in (required for every status but not_requested and not_required, and empty while
not_requested); `clearance_decided_on` is the post's answer (required for approved and denied, empty
while not_requested or requested, optional for cancelled and not_required) and not before the
request. Validators sit on the fields so a 422 names the field to fix.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from service.schemas.base import ArchivedMeta, RecordMeta, StrictModel, no_repeats, partial
from service.schemas.types import ComponentCode, CountryCode, Day, Text
from service.schemas.vocab import CLEARANCE_PENDING, ClearanceStatus, Sensitivity

Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"),
    Field(description="The client's own unique key for the trip", examples=["ICE-TDY-2027-0113"]),
]
Travelers = Annotated[int, Field(ge=1, le=500, description="How many people travel (a count, never names)")]

REQUEST_NEEDED = {s for s in ClearanceStatus} - {ClearanceStatus.not_requested, ClearanceStatus.not_required}
DECISION_NEEDED = {ClearanceStatus.approved, ClearanceStatus.denied}


class TripCreate(StrictModel):
    """U.S.-based staff travelling abroad; the owner is `component`. Travellers are counted, never named."""

    reference: Reference
    component: ComponentCode
    purpose: Text(500, 1) = Field(
        description="What the trip is for (the work, never who travels)",
        examples=["Joint port security assessment with the Mexican Navy"],
    )
    countries: list[CountryCode] = Field(min_length=1, max_length=20)
    post_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    activity_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    travelers: Travelers
    depart_on: Day
    return_on: Day
    clearance_status: ClearanceStatus = ClearanceStatus.not_requested
    clearance_requested_on: Day | None = Field(default=None, validate_default=True)
    clearance_decided_on: Day | None = Field(default=None, validate_default=True)
    sensitivity: Sensitivity = Sensitivity.sbu

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "reference": "USCG-TDY-2027-0042",
                    "component": "USCG",
                    "purpose": "Port security assessment (ISPS Code), Manzanillo",
                    "countries": ["MX"],
                    "travelers": 3,
                    "depart_on": "2027-03-08",
                    "return_on": "2027-03-19",
                    "clearance_status": "requested",
                    "clearance_requested_on": "2027-01-20",
                    "sensitivity": "sbu",
                }
            ]
        }
    }

    @field_validator("return_on")
    @classmethod
    def _return_after_departure(cls, value: date, info: ValidationInfo) -> date:
        depart = info.data.get("depart_on")
        if depart is not None and value < depart:
            raise ValueError("return_on must not be before depart_on")
        return value

    @field_validator("clearance_requested_on")
    @classmethod
    def _requested_on(cls, value: date | None, info: ValidationInfo) -> date | None:
        status = info.data.get("clearance_status")
        if value is None and status in REQUEST_NEEDED:
            raise ValueError(f"clearance_requested_on is required when clearance_status is '{status}'")
        if value is not None and status == ClearanceStatus.not_requested:
            raise ValueError("clearance_requested_on must be empty while clearance_status is 'not_requested'")
        return value

    @field_validator("clearance_decided_on")
    @classmethod
    def _decided_on(cls, value: date | None, info: ValidationInfo) -> date | None:
        status = info.data.get("clearance_status")
        if value is None and status in DECISION_NEEDED:
            raise ValueError(f"clearance_decided_on is required when clearance_status is '{status}'")
        if value is not None and status in CLEARANCE_PENDING:
            raise ValueError(f"clearance_decided_on must be empty while clearance_status is '{status}'")
        requested = info.data.get("clearance_requested_on")
        if value is not None and requested is not None and value < requested:
            raise ValueError("clearance_decided_on must not be before clearance_requested_on")
        return value

    _no_repeats = no_repeats("countries", "post_ids", "activity_ids")


TripPatch = partial(TripCreate, "TripPatch")


class TripRead(ArchivedMeta, RecordMeta, TripCreate):
    """A trip as stored, with its server-owned fields."""

    model_config = {"extra": "ignore"}

    id: uuid.UUID
