"""Why a bearer token was refused, as exceptions the HTTP layer maps to 401, 403 and 503.

Kept apart from service.errors on purpose: this package knows nothing of HTTP bodies; the caller decides
the problem+json shape. Every `detail` is a fixed, short sentence: never the token, never a claim's value.
"""

from __future__ import annotations


class IdentityError(Exception):
    """Base of every refusal this package raises."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidToken(IdentityError):
    """The token is not one the registry accepts (401, `WWW-Authenticate: Bearer error="invalid_token"`)."""

    @property
    def www_authenticate(self) -> str:
        """The RFC 6750 challenge; the detail is a fixed sentence without quotes or backslashes."""
        return f'Bearer error="invalid_token", error_description="{self.detail}"'


class TokenForbidden(IdentityError):
    """The token is genuine but grants no usable role in the registry (403)."""


class IssuerUnavailable(IdentityError):
    """The token's key is not cached and the issuer cannot be reached to fetch it (503 + Retry-After)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
