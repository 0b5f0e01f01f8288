"""Signed, typed, bounded cursors: what every keyset page hands out as `next_cursor`.

A cursor is base64url of a compact JSON payload followed by a 16-byte HMAC-SHA256 tag over a scope
(the table it pages) and the payload, keyed by the server's cursor secret. Anything that does not
verify is a 400 before a value reaches SQL; a value that verifies is still checked against its
column's type and range, so even a cursor signed with a leaked secret can only seek, never fail.

Size does not grow with the data: a string sort value longer than KEY_BYTES (UTF-8) travels as a
prefix and a digest of the whole value (`Truncated`); the seek resolves it against the row the
cursor names (service.records.pagination.keyset_segments).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Float, Integer, Numeric, SmallInteger, String, Uuid
from sqlalchemy.sql.elements import KeyedColumnElement

from service.errors import BadRequest

TAG_BYTES = 16
KEY_BYTES = 48  # a longer string sort value is carried as a prefix and a digest
PREFIX_BYTES = 32
DIGEST_CHARS = 16  # hex characters of SHA-256

_INVALID = "The cursor is not valid; use next_cursor exactly as returned."
_secret: list[bytes] = [secrets.token_bytes(32)]  # replaced at start-up (service.main), see set_secret


def set_secret(secret: str | bytes) -> None:
    """The key cursors are signed with (CURSOR_SECRET, or the database's own; see README)."""
    _secret[0] = secret.encode() if isinstance(secret, str) else secret


def value_digest(text: str) -> str:
    """What PostgreSQL computes as left(encode(sha256(convert_to(col, 'UTF8')), 'hex'), 16)."""
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


@dataclass(frozen=True)
class Truncated:
    """A long string sort value: its first PREFIX_BYTES (whole characters) and its digest."""

    prefix: str
    digest: str


def _tag(scope: str, body: bytes) -> bytes:
    return hmac.new(_secret[0], scope.encode() + b"\0" + body, hashlib.sha256).digest()[:TAG_BYTES]


def seal(scope: str, payload: dict[str, Any]) -> str:
    """The payload as an opaque, signed cursor for pages of `scope`."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(body + _tag(scope, body)).decode().rstrip("=")


def unseal(scope: str, cursor: str) -> dict[str, Any]:
    """The payload of a cursor this server signed for `scope`; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error) as exc:
        raise BadRequest(_INVALID) from exc
    body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    if len(raw) <= TAG_BYTES or not hmac.compare_digest(tag, _tag(scope, body)):
        raise BadRequest(_INVALID)
    try:
        payload = json.loads(body)
    except ValueError as exc:  # signed by us, so this cannot happen; still never a 500
        raise BadRequest(_INVALID) from exc
    if not isinstance(payload, dict):
        raise BadRequest(_INVALID)
    return payload


def encode_value(value: Any) -> Any:
    """A sort value (or id) as JSON: ISO dates, UUID and Decimal text, long strings truncated."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, str) and len(value.encode()) > KEY_BYTES:
        prefix = value.encode()[:PREFIX_BYTES].decode(errors="ignore")  # whole characters only
        return {"p": prefix, "h": value_digest(value)}
    return value


_INT_BITS = ((SmallInteger, 16), (BigInteger, 64), (Integer, 32))


def _integer(column_type: Any, raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValueError("not an integer")
    bits = next(b for kind, b in _INT_BITS if isinstance(column_type, kind))
    if not -(1 << (bits - 1)) <= raw < 1 << (bits - 1):
        raise ValueError("out of range")
    return raw


def _numeric(column_type: Numeric[Any], raw: Any) -> Decimal:
    if not isinstance(raw, str) or len(raw) > 60:
        raise ValueError("not a decimal")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError("not a decimal") from exc
    if not value.is_finite():
        raise ValueError("not finite")
    precision, scale = column_type.precision, column_type.scale
    if precision is not None and abs(value) >= Decimal(10) ** (precision - (scale or 0)):
        raise ValueError("out of range")
    return value


def _string(column_type: String, raw: Any) -> str | Truncated:
    if isinstance(raw, dict) and set(raw) == {"p", "h"}:
        prefix, digest = raw["p"], raw["h"]
        if not isinstance(prefix, str) or len(prefix.encode()) > PREFIX_BYTES:
            raise ValueError("bad prefix")
        if not isinstance(digest, str) or len(digest) != DIGEST_CHARS:
            raise ValueError("bad digest")
        int(digest, 16)
        return Truncated(prefix, digest)
    if not isinstance(raw, str) or len(raw.encode()) > KEY_BYTES:
        raise ValueError("not a short string")
    if column_type.length is not None and len(raw) > column_type.length:
        raise ValueError("too long")
    return raw


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > 64:
        raise ValueError("not text")
    return raw


def decode_value(column: KeyedColumnElement[Any], raw: Any) -> Any:
    """A cursor's JSON value as the column's Python type; ValueError unless it fits the column."""
    if raw is None:
        if not getattr(column, "nullable", False):
            raise ValueError("null for a NOT NULL column")
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        parsed = datetime.fromisoformat(_text(raw))
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed
    if isinstance(kind, Date):
        return date.fromisoformat(_text(raw))
    if isinstance(kind, Uuid):
        return uuid.UUID(_text(raw))
    if isinstance(kind, Integer):
        return _integer(kind, raw)
    if isinstance(kind, Float):
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise ValueError("not a finite number")
        return float(raw)
    if isinstance(kind, Numeric):
        return _numeric(kind, raw)
    if isinstance(kind, String):
        return _string(kind, raw)
    raise ValueError(f"cannot page by a {kind!r} column")
