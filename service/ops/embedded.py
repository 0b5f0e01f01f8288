"""Embedded PostgreSQL (the `pgserver` package) for machines with no database configured.

The server's data lives under `./var/pg`; pgserver shares one postmaster between every process that asks
for the same directory and stops it when the last of them exits.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from service.config import Settings
from service.db import normalize_url

_servers: dict[str, Any] = {}


def import_pgserver() -> Any:
    """pgserver, imported without platformdirs' RuntimeDirWarning.

    Importing pgserver asks platformdirs for a runtime directory (for one lock file); with
    XDG_RUNTIME_DIR unset, as under sudo, cron, containers and ssh without a login session, platformdirs
    warns on stderr and falls back to a private directory of its own, which serves the lock as well.
    The warning is not something an operator of `oia` can act on, so it is silenced here, around this
    import only and by its message (platformdirs' RuntimeDirWarning is a UserWarning about
    XDG_RUNTIME_DIR): every other warning still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)
        import pgserver

    return pgserver


def embedded_url(data_dir: str) -> str:
    """Start (or attach to) the embedded server and return an asyncpg URL for its `postgres` database."""
    path = str(Path(data_dir).resolve())
    if path not in _servers:
        pgserver = import_pgserver()  # imported late: only needed when no DATABASE_URL is set
        Path(path).mkdir(parents=True, exist_ok=True)
        _servers[path] = pgserver.get_server(path, cleanup_mode="stop")
    uri = urlparse(_servers[path].get_uri())
    socket_dir = parse_qs(uri.query).get("host", [path])[0]
    user = uri.username or "postgres"
    return f"postgresql+asyncpg://{user}@/{uri.path.lstrip('/') or 'postgres'}?host={socket_dir}"


def database_url(settings: Settings) -> str:
    """The configured database (`DATABASE_URL`), or the embedded server when none is configured."""
    if settings.database_url:
        return normalize_url(settings.database_url)
    return embedded_url(settings.embedded_pg_dir)
