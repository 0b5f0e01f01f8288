"""A delivery's body, `{"type": "<singular>.<action>", "timestamp": RFC 3339, "data": {...}}`, as bytes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

# Collection names as in /changes -> the singular that starts an event type.
SINGULAR = {
    "activities": "activity",
    "postings": "posting",
    "recommendations": "recommendation",
    "trips": "trip",
    "posts": "post",
    "components": "component",
    "strategic-goals": "strategic_goal",
    "overlaps": "overlap",
}
# Audit actions -> the past tense an event type ends with (API.md: "activity.created", "posting.withdrawn").
PAST_TENSE = {
    "create": "created",
    "update": "updated",
    "archive": "archived",
    "restore": "restored",
    "withdrawn": "withdrawn",
}
PING_TYPE = "webhook.ping"


def event_type(resource: str, action: str) -> str:
    """`activity.created` from (`activities`, `create`); KeyError for a name the API does not define."""
    return f"{SINGULAR[resource]}.{PAST_TENSE[action]}"


def rfc3339(moment: datetime) -> str:
    """UTC with microseconds and `Z`, as every other timestamp of the API is written."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: object) -> str:
    """The few non-JSON types an event carries: ids and moments."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _encode(document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: these exact bytes are signed and sent."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode()


def event_body(type_: str, timestamp: datetime, data: Mapping[str, Any]) -> bytes:
    """One event's body; `data` holds seq, resource, id, action, version and (unless withdrawn) record."""
    return _encode({"type": type_, "timestamp": rfc3339(timestamp), "data": data})


def ping_body(timestamp: datetime) -> bytes:
    """The body `POST /webhooks/{id}/ping` sends."""
    return _encode({"type": PING_TYPE, "timestamp": rfc3339(timestamp), "data": {}})
