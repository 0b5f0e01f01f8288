"""`oia replication-check`: each database node's role, reachability and lag, as /health/ready shows them."""

from __future__ import annotations

import asyncio
import json

from service.config import get_settings
from service.ops.runner import configured_url
from service.replication.check import format_report, replication_check


def replication_check_text(as_json: bool = False) -> tuple[str, bool]:
    """The report for DATABASE_URL and DATABASE_REPLICA_URLS, and whether every node is reachable
    and every standby serves reads (the exit status)."""
    settings = get_settings()
    reports = asyncio.run(
        replication_check(
            configured_url(), settings.replica_urls(), max_lag_seconds=settings.replica_max_lag_seconds
        )
    )
    healthy = all(r.reachable and r.serving_reads for r in reports)
    if as_json:
        return json.dumps([r.as_dict() for r in reports], indent=2), healthy
    return format_report(reports), healthy
