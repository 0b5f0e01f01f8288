"""The overlaps cursor: where a listing stopped, as (country, a, b) in the keyset order
(country, a.id, b.id). Opaque to clients (signed like every cursor: service.records.cursor); anything
else is a 400."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.errors import BadRequest
from service.records.cursor import seal, unseal
from service.schemas.types import COUNTRY_CODES

NIL = uuid.UUID(int=0)
END = uuid.UUID(int=(1 << 128) - 1)  # "after every b": the position of an a whose pairs are all listed


@dataclass(frozen=True)
class Position:
    country: str
    after_a: uuid.UUID = NIL
    after_b: uuid.UUID = NIL


def encode_position(position: Position) -> str:
    payload = {"s": "overlaps", "c": position.country, "a": str(position.after_a), "b": str(position.after_b)}
    return seal("overlaps", payload)


def decode_position(cursor: str) -> Position:
    payload = unseal("overlaps", cursor)
    try:
        if payload["s"] != "overlaps" or payload["c"] not in COUNTRY_CODES:
            raise ValueError("not an overlaps cursor")
        return Position(payload["c"], uuid.UUID(payload["a"]), uuid.UUID(payload["b"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc
