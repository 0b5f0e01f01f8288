"""The dashboard's settings, read from the environment (DASHBOARD_SESSION_SECRET, ...).

Kept apart from service.config, like service.bulk.settings, so the package stays self-contained.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("service.dashboard")

SECRET_ENV = "DASHBOARD_SESSION_SECRET"


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Signs the session cookie. Unset: `oia serve` makes one per server run and hands it to all its
    # workers (sessions end at a restart); anything else serving the app makes one per process.
    dashboard_session_secret: SecretStr | None = Field(default=None, min_length=32)
    dashboard_session_hours: float = Field(default=8.0, gt=0, le=24)
    # Sign-in through the identity provider (authorization code + PKCE) when set and OIDC_ISSUER is:
    # the client id registered at the provider for the dashboard (a public client: no secret).
    dashboard_oidc_client_id: str | None = Field(default=None, min_length=1, max_length=200)
    dashboard_oidc_scope: str = "openid"


@lru_cache
def get_dashboard_settings() -> DashboardSettings:
    return DashboardSettings()


@lru_cache
def session_secret() -> bytes:
    """The configured secret, or a random one for this process's lifetime (logged once)."""
    configured = get_dashboard_settings().dashboard_session_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    log.warning(
        "%s is not set: dashboard sessions are signed with a random per-process secret; they end "
        "when the process restarts and are not shared between processes",
        SECRET_ENV,
    )
    return secrets.token_bytes(32)
