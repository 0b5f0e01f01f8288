"""Recommendation schemas. `status` and `closed_on` are read-only here: they move only through
POST /recommendations/{id}/updates (see service.recommendations.updates)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from service.records.history import Actor
from service.schemas.base import ArchivedMeta, RecordMeta, StrictModel, explain_read_only, no_repeats, partial
from service.schemas.types import ComponentCode, Day, Flag, Text, Timestamp
from service.schemas.vocab import Concurrence, RecommendationStatus

CLOSED = (RecommendationStatus.closed_implemented, RecommendationStatus.closed_not_implemented)

ReportNumber = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"),
    Field(description="The report's number", examples=["OIG-08-71"]),
]


def _http_url(value: str) -> str:
    """Only http(s) links with a host: the URL is stored for people to follow, never fetched."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("evidence_url must be an http:// or https:// URL with a host")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("evidence_url must not contain spaces or control characters")
    return value


# What a client that sends these fields is told instead of "Extra inputs are not permitted".
MOVED_BY_UPDATES = {
    "status": "status changes only through POST /api/v1/recommendations/{id}/updates "
    '(e.g. {"to_status": "open_resolved", "note": "..."}); it starts open_unresolved',
    "closed_on": "closed_on is set by the update that closes the recommendation "
    "(POST /api/v1/recommendations/{id}/updates)",
}

EvidenceUrl = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_http_url)]


class RecommendationCreate(StrictModel):
    """A finding as an admin records it; it starts `open_unresolved`."""

    report_number: ReportNumber
    report_title: Text(300, 1)
    report_date: Day
    number: int = Field(ge=1, le=999, description="The recommendation's number within its report")
    title: Text(300, 1)
    text: Text(20_000, 1)
    text_is_summary: Flag = Field(default=False, description="True when `text` paraphrases the report")
    responsible_component: ComponentCode = Field(description="The addressee, who answers for it")
    concurrence: Concurrence = Concurrence.unknown
    priority: Flag = False
    corrective_action_plan: Text(20_000) | None = None
    target_date: Day | None = None
    activity_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    posting_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "report_number": "OIG-08-71",
                    "report_title": "Management of DHS International Activities and Interests",
                    "report_date": "2008-06-24",
                    "number": 1,
                    "title": "Strategic plan for international activities",
                    "text": "Develop a strategic plan for the department's international activities.",
                    "text_is_summary": True,
                    "responsible_component": "PLCY",
                    "target_date": "2009-06-30",
                }
            ]
        }
    }

    @field_validator("target_date")
    @classmethod
    def _target_after_report(cls, value: date | None, info: ValidationInfo) -> date | None:
        report_date = info.data.get("report_date")
        if value is not None and report_date is not None and value < report_date:
            raise ValueError("target_date must not be before report_date")
        return value

    _no_repeats = no_repeats("activity_ids", "posting_ids")
    _moved_by_updates = explain_read_only(MOVED_BY_UPDATES)


RecommendationPatch = partial(
    RecommendationCreate, "RecommendationPatch", {"_moved_by_updates": explain_read_only(MOVED_BY_UPDATES)}
)


class RecommendationRead(ArchivedMeta, RecordMeta, RecommendationCreate):
    """A recommendation as stored; `status` and `closed_on` follow its updates."""

    model_config = {"extra": "ignore"}

    id: uuid.UUID
    status: RecommendationStatus
    closed_on: date | None


class StatusUpdateCreate(StrictModel):
    """One move of a recommendation's status; closing it needs a note."""

    to_status: RecommendationStatus
    note: Text(10_000) | None = Field(default=None, validate_default=True)
    evidence_url: EvidenceUrl | None = Field(default=None, description="Stored, never fetched")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "to_status": "closed_implemented",
                    "note": "The strategic plan was issued and OIG accepted it.",
                    "evidence_url": "https://www.dhs.gov/example/plan.pdf",
                }
            ]
        }
    }

    @field_validator("note")
    @classmethod
    def _closing_needs_note(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("to_status") in CLOSED and not (value and value.strip()):
            raise ValueError("closing a recommendation needs a note saying why")
        return value


class StatusUpdateRead(BaseModel):
    """An update as stored: append-only, with who made it."""

    id: uuid.UUID
    recommendation_id: uuid.UUID
    from_status: RecommendationStatus
    to_status: RecommendationStatus
    note: str | None
    evidence_url: str | None
    at: Timestamp
    actor: Actor
