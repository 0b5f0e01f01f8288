"""Settings read from the environment (or a local .env file)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from service.replication.settings import ReplicationSettings


class Settings(ReplicationSettings):
    """Runtime configuration; every field can be set by an environment variable of the same name
    (the read replicas' fields, DATABASE_REPLICA_URLS and the like, come from ReplicationSettings)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql:// or postgresql+asyncpg:// URL (several hosts with "
        "target_session_attrs=read-write for failover); unset = embedded PostgreSQL",
    )
    embedded_pg_dir: str = "var/pg"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Off by default: a ping is a round trip on every checkout (a sixth of a GET by id). Without it,
    # after a database restart the first statement on each stale connection fails (503 + Retry-After),
    # SQLAlchemy invalidates the whole pool on that disconnect, and the next request reconnects.
    db_pool_pre_ping: bool = False
    db_connect_timeout: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100)
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_import_bytes: int = Field(default=256 * 1_048_576, ge=1024)
    retry_after_seconds: int = Field(default=5, ge=1)
    # The database role the service acts as (SET ROLE at connect): not a superuser and not the
    # tables' owner, so row-level security applies to it. Empty: act as the login role itself
    # (which must then be such a role).
    db_role: str = Field(default="oia_service", pattern=r"^[a-z_][a-z0-9_]{0,62}$|^$")
    # eCC country clearance: how many days before departure a trip's clearance should be requested.
    clearance_lead_days: int = Field(default=30, ge=0, le=365)
    # A session idle inside a transaction this long is ended by PostgreSQL (a backstop: the timeouts
    # below free a stalled request's connection first).
    db_idle_in_transaction_timeout_ms: int = Field(default=60_000, ge=1000)
    # Slow or stalled clients (service.web.timeouts, service.web.server).
    header_timeout_seconds: float = Field(default=10.0, gt=0)  # connect to end of the request headers
    keep_alive_seconds: float = Field(default=5.0, gt=0)  # idle between requests on one connection
    body_read_timeout_seconds: float = Field(default=20.0, gt=0)  # longest wait for the next body bytes
    write_timeout_seconds: float = Field(default=30.0, gt=0)  # longest wait for a client to take a chunk
    min_transfer_bytes_per_second: int = Field(default=500, ge=0)  # average, once a timeout has passed
    server_max_connections: int = Field(default=2048, ge=16)  # more are refused (uvicorn's 503)
    # Expensive requests, per process (service.web.admission): exports and imports together, and `q`.
    bulk_max_concurrent: int = Field(default=3, ge=1)
    bulk_per_key: int = Field(default=2, ge=1)
    search_max_concurrent: int = Field(default=4, ge=1)
    search_per_key: int = Field(default=16, ge=1)
    search_queue_seconds: float = Field(default=2.0, ge=0)  # wait for a search slot before 429
    search_rank_limit: int = Field(default=250, ge=1)  # more matches: newest first, unranked
    search_statement_timeout_ms: int = Field(default=2000, ge=100)
    # Absolute URLs (Location, Link) start with this; unset: the address the connection reached.
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
    # Signs pagination cursors; unset: the secret migration 0008 stored in the database.
    cursor_secret: SecretStr | None = Field(default=None, min_length=16)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
