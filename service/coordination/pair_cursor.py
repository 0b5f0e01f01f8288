"""The overlaps cursor: where a listing stopped, as (score, country, a, b) in the keyset order
(score descending, then country, a.id, b.id). Opaque to clients (signed like every cursor:
service.records.cursor); anything else is a 400 (a cursor from before scores led the order too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.errors import BadRequest
from service.records.cursor import seal, unseal
from service.schemas.types import COUNTRY_CODES

NIL = uuid.UUID(int=0)
END = uuid.UUID(int=(1 << 128) - 1)  # "after every b": the position of an a whose pairs are all listed
MAX_SCORE = 4  # four kinds of things a pair can share (service.coordination.scoring)


@dataclass(frozen=True)
class Position:
    """Where a scan stands: in the pairs of exactly `score`, country `country` ("" = before the
    first), after the pair (after_a, after_b)."""

    score: int
    country: str = ""
    after_a: uuid.UUID = NIL
    after_b: uuid.UUID = NIL


def encode_position(position: Position) -> str:
    payload = {
        "s": "overlaps",
        "l": position.score,
        "c": position.country,
        "a": str(position.after_a),
        "b": str(position.after_b),
    }
    return seal("overlaps", payload)


def decode_position(cursor: str) -> Position:
    payload = unseal("overlaps", cursor)
    try:
        score, country = payload["l"], payload["c"]
        if payload["s"] != "overlaps" or type(country) is not str:
            raise ValueError("not an overlaps cursor")
        if country and country not in COUNTRY_CODES:  # "" = before the first country
            raise ValueError("not a country")
        if type(score) is not int or not 0 <= score <= MAX_SCORE:
            raise ValueError("not a score")
        return Position(score, country, uuid.UUID(payload["a"]), uuid.UUID(payload["b"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc
