"""OIDC settings: which issuer's access tokens the registry accepts, and how its keys are fetched and cached.

Separate from service.config so agency identity can be switched on (OIDC_ISSUER) without touching the core
settings, and so the algorithm allow-list is validated once, at start-up, not on every request.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from jwt.algorithms import get_default_algorithms
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Refused whatever the configuration says: `none` is no signature at all, and an HMAC "key" from a JWKS (or a
# public key misused as an HMAC secret) would let anyone who can read the public key mint tokens.
FORBIDDEN_ALGORITHMS = frozenset({"none", "HS256", "HS384", "HS512"})
# Fixed by the contract (API.md): how far exp, nbf and iat may be off the registry's clock.
LEEWAY_SECONDS = 60


class OidcSettings(BaseSettings):
    """OIDC_* environment variables; agency identity is on only when OIDC_ISSUER is set."""

    model_config = SettingsConfigDict(env_prefix="OIDC_", env_file=".env", extra="ignore")

    issuer: str | None = Field(default=None, description="the `iss` tokens must carry; unset: no tokens")
    audience: str = "oia-registry"
    algorithms: Annotated[tuple[str, ...], NoDecode] = ("RS256", "ES256")
    role_claim: str = "oia_role"
    component_claim: str = "oia_component"
    clearance_claim: str = "oia_clearance"
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    jwks_cache_seconds: float = Field(default=3600.0, ge=0)
    refetch_interval_seconds: float = Field(default=30.0, ge=0)

    @field_validator("issuer")
    @classmethod
    def _issuer_is_http(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("OIDC_ISSUER must be an http(s) URL")
        return value

    @field_validator("algorithms", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # The environment gives "RS256,ES256"; code may pass a list or tuple.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("algorithms")
    @classmethod
    def _only_asymmetric(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("OIDC_ALGORITHMS names no algorithm")
        known = get_default_algorithms()
        for name in value:
            if name in FORBIDDEN_ALGORITHMS or name.upper().startswith("HS") or name.lower() == "none":
                raise ValueError(f"OIDC_ALGORITHMS may not contain {name}: asymmetric algorithms only")
            if name not in known:
                raise ValueError(f"OIDC_ALGORITHMS: unknown algorithm {name}")
        return tuple(dict.fromkeys(value))

    @property
    def enabled(self) -> bool:
        return self.issuer is not None

    @property
    def discovery_url(self) -> str:
        """`<issuer>/.well-known/openid-configuration` (OIDC Discovery 1.0, section 4)."""
        assert self.issuer is not None
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@lru_cache
def get_oidc_settings() -> OidcSettings:
    """The process-wide OIDC settings, read once."""
    return OidcSettings()
