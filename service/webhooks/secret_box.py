"""Signing secrets at rest: encrypted with WEBHOOK_SECRET_KEY (Fernet; several keys allow key rotation).

A secret must be readable again to sign, so it cannot be hashed like an API key; encrypting it keeps a
database dump or backup from handing out every subscriber's secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_UNREADABLE = "a stored webhook secret cannot be decrypted with WEBHOOK_SECRET_KEY"


class SecretKeyError(ValueError):
    """WEBHOOK_SECRET_KEY is missing or malformed, or a stored secret was not encrypted with it."""


def new_key() -> str:
    """A fresh value for WEBHOOK_SECRET_KEY (urlsafe base64 of 32 random bytes)."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts with the first key and decrypts with any, so keys can be rotated without downtime."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("WEBHOOK_SECRET_KEY is not set")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode("ascii")) for k in keys])
        except (ValueError, UnicodeError) as exc:
            raise SecretKeyError("WEBHOOK_SECRET_KEY is not a list of Fernet keys") from exc

    @classmethod
    def from_setting(cls, value: str) -> SecretBox:
        """From the setting's text: keys separated by commas, newest first."""
        return cls([k for k in value.split(",") if k.strip()])

    def seal(self, secret: str) -> str:
        """The stored form of a secret (ASCII, about 140 characters for a 44-character secret)."""
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret back; SecretKeyError when no configured key opens it (or it was altered)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretKeyError(_UNREADABLE) from exc

    def reseal(self, sealed: str) -> str:
        """The same secret encrypted with the newest key (for a migration after a key rotation)."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretKeyError(_UNREADABLE) from exc
