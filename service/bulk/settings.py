"""Limits of the bulk endpoints, read from the environment (IMPORT_MAX_ROWS, ...). The import's body size
limit is MAX_IMPORT_BYTES in service.config, applied by service.web.body_limit to every /import path."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BulkSettings(BaseSettings):
    """Kept apart from service.config so the bulk package stays self-contained; same env file."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # All-or-nothing means one transaction: the cap bounds its size (and how long its locks are held).
    import_max_rows: int = Field(default=200_000, ge=1)
    # Rows per COPY and per set-based reference check.
    import_chunk_rows: int = Field(default=5_000, ge=1)
    # Row errors (and CSV header errors) listed in one 422 before the import stops reading.
    import_max_errors: int = Field(default=50, ge=1)
    # One CSV record or NDJSON line may not be longer (the largest valid record is ~250 kB).
    import_max_record_bytes: int = Field(default=1_048_576, ge=1024)
    # Columns a CSV header may name (a resource has a few dozen fields).
    import_max_columns: int = Field(default=100, ge=1)
    # One import is a few long statements (COPY per chunk, the audit INSERT of every row): they may
    # take longer than the ordinary DB_STATEMENT_TIMEOUT_MS, which is meant for API requests.
    import_statement_timeout_s: float = Field(default=300.0, gt=0)
    # Rows fetched per round trip by the export's server-side cursor.
    export_batch_rows: int = Field(default=1_000, ge=1)


@lru_cache
def get_bulk_settings() -> BulkSettings:
    return BulkSettings()
