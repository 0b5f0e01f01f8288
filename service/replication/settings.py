"""Replication settings, read from the environment like service.config.Settings (which may absorb them)."""

from __future__ import annotations

import re

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# A multi-host URL has commas of its own (`h1:5432,h2:5433`): split only where a new URL starts.
_URL_START = re.compile(r",\s*(?=postgres(?:ql)?(?:\+asyncpg)?://)")


class ReplicationSettings(BaseSettings):
    """Read replicas: where they are, how stale a read may be, how long a token read may wait."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_replica_urls: str = Field(default="", description="comma-separated hot standby URLs")
    replica_max_lag_seconds: float = Field(default=5.0, ge=0)
    # How long a read carrying a consistency token waits for a replica to replay that far before
    # it is served by the primary instead.
    replica_wait_ms: int = Field(default=200, ge=0, le=10_000)
    replica_health_interval_seconds: float = Field(default=1.0, gt=0, le=60)

    def replica_urls(self) -> list[str]:
        return split_replica_urls(self.database_replica_urls)


def split_replica_urls(value: str) -> list[str]:
    """`url1,url2` -> [url1, url2], keeping each URL's own host list intact."""
    return [part.strip() for part in _URL_START.split(value) if part.strip()]
