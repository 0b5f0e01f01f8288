"""Agency identity: OAuth 2.0 / OIDC access tokens (JWTs) accepted beside API keys (API.md v1.1).

The HTTP layer calls `TokenVerifier.verify` for a bearer credential that `looks_like_jwt` and maps the three
exceptions to 401 / 403 / 503; nothing here knows about requests, responses or the database.
"""

from service.identity.claims import TokenIdentity
from service.identity.errors import IdentityError, InvalidToken, IssuerUnavailable, TokenForbidden
from service.identity.jwks import JwksCache
from service.identity.settings import OidcSettings, get_oidc_settings
from service.identity.verifier import TokenVerifier, looks_like_jwt

__all__ = [
    "IdentityError",
    "InvalidToken",
    "IssuerUnavailable",
    "JwksCache",
    "OidcSettings",
    "TokenForbidden",
    "TokenIdentity",
    "TokenVerifier",
    "get_oidc_settings",
    "looks_like_jwt",
]
