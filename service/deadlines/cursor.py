"""The deadlines cursor: the (due_on, kind, id) the next page starts after. Opaque to clients
(base64url JSON); anything that is not one of ours is a 400."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date

from service.deadlines.schemas import DeadlineKind
from service.errors import BadRequest


@dataclass(frozen=True)
class After:
    due_on: date
    kind: DeadlineKind
    id: uuid.UUID


def encode_after(after: After) -> str:
    payload = {"s": "deadlines", "d": after.due_on.isoformat(), "k": after.kind.value, "i": str(after.id)}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_after(cursor: str) -> After:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload["s"] != "deadlines":
            raise ValueError("not a deadlines cursor")
        return After(date.fromisoformat(payload["d"]), DeadlineKind(payload["k"]), uuid.UUID(payload["i"]))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc
