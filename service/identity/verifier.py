"""Verifying an OIDC/JWT access token end to end: shape, algorithm, key, signature, registered claims, role.

All JOSE work is PyJWT's; this module decides what is allowed (the algorithm allow-list, which key, which
claims are required) and turns PyJWT's many exceptions into the three refusals the HTTP layer knows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from jwt import PyJWK
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from service.identity.claims import TokenIdentity, identity_from_claims
from service.identity.errors import InvalidToken
from service.identity.jwks import JwksCache
from service.identity.settings import FORBIDDEN_ALGORITHMS, LEEWAY_SECONDS, OidcSettings

API_KEY_PREFIX = "oia_"
# Far above any real access token (a few KiB); refusing early keeps base64 and JSON work bounded.
MAX_TOKEN_LENGTH = 16 * 1024
MAX_KID_LENGTH = 256
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]

_REASONS: list[tuple[type[PyJWTError], str]] = [
    (ExpiredSignatureError, "The token has expired."),
    (ImmatureSignatureError, "The token is not valid yet."),
    (InvalidAudienceError, "The token is not meant for this registry."),
    (InvalidIssuerError, "The token comes from another issuer."),
    (MissingRequiredClaimError, "The token lacks a required claim (exp, iss, aud or sub)."),
    (InvalidSignatureError, "The token's signature does not verify."),
]


def looks_like_jwt(credential: str) -> bool:
    """Cheap triage of a bearer credential: API keys start with `oia_`, a compact JWS has exactly two dots."""
    return not credential.startswith(API_KEY_PREFIX) and credential.count(".") == 2


class TokenVerifier:
    """Verifies access tokens of the one configured issuer; create once per app, close with aclose()."""

    def __init__(
        self,
        settings: OidcSettings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.keys = JwksCache(settings, http=http, clock=clock)

    async def verify(self, token: str) -> TokenIdentity:
        """The identity the token speaks for; raises InvalidToken, TokenForbidden or IssuerUnavailable."""
        alg, kid = self._header(token)
        candidates = await self.keys.keys_for(kid)
        if candidates is None:
            raise InvalidToken("The token's signing key is not published by its issuer.")
        key = candidates.get(alg)
        if key is None:
            raise InvalidToken("The token's algorithm does not match its signing key.")
        return identity_from_claims(self._decode(token, alg, key), self.settings)

    async def aclose(self) -> None:
        await self.keys.aclose()

    def _header(self, token: str) -> tuple[str, str]:
        """The header's alg (allowed) and kid (present), read before any key is looked up."""
        if len(token) > MAX_TOKEN_LENGTH or not looks_like_jwt(token):
            raise InvalidToken("The token is not a JWT.")
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as exc:
            raise InvalidToken("The token is not a well-formed JWT.") from exc
        alg = header.get("alg")
        # FORBIDDEN_ALGORITHMS can never be in settings.algorithms; checked again so no configuration
        # path can ever let `none` or HMAC through.
        if not isinstance(alg, str) or alg in FORBIDDEN_ALGORITHMS or alg not in self.settings.algorithms:
            raise InvalidToken("The token's signing algorithm is not accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise InvalidToken("The token names no usable signing key (kid).")
        return alg, kid

    def _decode(self, token: str, alg: str, key: PyJWK) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
            )
        except PyJWTError as exc:
            raise InvalidToken(_reason(exc)) from exc
        except (ValueError, TypeError, OverflowError) as exc:
            # Odd claim values that slip past PyJWT's own checks: still a refusal, never a 500.
            raise InvalidToken("The token is not a well-formed JWT.") from exc


def _reason(exc: PyJWTError) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "The token is not valid."
