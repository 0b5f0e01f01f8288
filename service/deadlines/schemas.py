"""Deadline shapes: the kinds, one item of the list, and the filters."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class DeadlineKind(StrEnum):
    """What comes due (the list's tie-break after the date is this name, alphabetical)."""

    recommendation_target = "recommendation_target"
    recommendation_resolution = "recommendation_resolution"
    tour_end = "tour_end"
    nsdd38_decision = "nsdd38_decision"
    trip_clearance = "trip_clearance"


class Deadline(BaseModel):
    kind: DeadlineKind
    resource: str = Field(description="The collection of the record that is due", examples=["postings"])
    id: uuid.UUID
    label: str = Field(description="What the record is, in a line (its key and title)")
    due_on: date
    days_left: int = Field(description="Days from today (the database's date) to due_on; negative = overdue")


class DeadlineRow(Deadline):
    """A deadline with its owning (or responsible) component, for the operator's table."""

    component: str
