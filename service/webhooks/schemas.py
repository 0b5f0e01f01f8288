"""Webhook subscriptions and deliveries as the API reads and writes them (API.md, "Webhooks")."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.changes.router import FeedResource
from service.schemas.base import StrictModel
from service.schemas.types import ComponentCode, Text, Timestamp


class EventAction(StrEnum):
    """What happened to a record, as /changes says it."""

    create = "create"
    update = "update"
    archive = "archive"
    restore = "restore"
    withdrawn = "withdrawn"


Url = Text(2048, 1)
Resources = list[FeedResource]
Components = list[ComponentCode]
Actions = list[EventAction]


class WebhookCreate(StrictModel):
    """Empty lists mean all. An editor's `components` default to (and may only be) its own."""

    url: Url = Field(examples=["https://hooks.example.gov/oia"])  # type: ignore[valid-type]
    description: Text(500) = ""  # type: ignore[valid-type]
    resources: Resources = Field(default_factory=list, max_length=20)
    components: Components = Field(default_factory=list, max_length=50)
    actions: Actions = Field(default_factory=list, max_length=5)


class WebhookUpdate(StrictModel):
    """A merge patch: fields left out keep their value; `active: false` pauses the subscription."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})

    url: Url | None = None  # type: ignore[valid-type]
    description: Text(500) | None = None  # type: ignore[valid-type]
    resources: Resources | None = Field(default=None, max_length=20)
    components: Components | None = Field(default=None, max_length=50)
    actions: Actions | None = Field(default=None, max_length=5)
    active: bool | None = None


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    resources: list[str]
    components: list[str]
    actions: list[str]
    active: bool
    disabled_reason: str | None
    version: int
    created_at: Timestamp
    updated_at: Timestamp
    last_success_at: Timestamp | None
    failing_since: Timestamp | None
    owner: str


class WebhookWithSecret(WebhookRead):
    """The answer to create and rotate-secret: the only time the secret is shown."""

    secret: str


class DeliveryRead(BaseModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_seq: int
    event_type: str
    attempts: int
    status: Literal["pending", "succeeded", "failed"]
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: Timestamp | None
    created_at: Timestamp


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None


class PingResult(BaseModel):
    """What the receiver answered to a ping (sent at once, not retried)."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
