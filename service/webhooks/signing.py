"""Standard Webhooks signing: secrets (`whsec_` + base64), the `v1,` HMAC-SHA256 signature, the headers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for 24..64 random bytes; 32 matches the HMAC-SHA256 block of security.
SECRET_BYTES = 32


class InvalidSecret(ValueError):
    """A stored secret that is not `whsec_` + base64 of at least 24 bytes."""


def new_secret() -> str:
    """A fresh signing secret, `whsec_` + standard base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key: the secret's base64 part decoded (the prefix optional, as in the reference library)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("secret is not base64") from exc
    if len(key) < 24:
        raise InvalidSecret("secret is shorter than 24 bytes")
    return key


def message_id(delivery_id: uuid.UUID) -> str:
    """`webhook-id`: one per event per subscription, so a delivery's id gives it (stable across retries)."""
    return f"msg_{delivery_id.hex}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64 HMAC-SHA256>` signature over `{msg_id}.{timestamp}.{body}`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: one signature per secret, space-separated (two while an old secret overlaps)."""
    if not secrets_:
        raise InvalidSecret("no secret to sign with")
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)


def delivery_headers(secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt; the timestamp is the attempt's own (each retry is signed afresh)."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_, msg_id, timestamp, body),
    }
