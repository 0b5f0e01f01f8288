"""The upsert scenario (issue 14): the bulk phase's rows sent again with `?mode=upsert`, one in ten of
them changed, as a nightly load from a component's own system would: time it end to end."""

from __future__ import annotations

import json
from typing import Any

from bench import bulk
from bench.servers import Server


def changed(payload: bytes, every: int = 10) -> tuple[bytes, int]:
    """The same NDJSON rows with the title of every `every`-th one changed, and how many changed."""
    lines = payload.splitlines()
    for n in range(0, len(lines), every):
        row = json.loads(lines[n])
        row["title"] = f"{row['title']} (revised)"
        lines[n] = json.dumps(row).encode()
    return b"\n".join(lines) + b"\n", len(range(0, len(lines), every))


def upsert_rows(server: Server, key: str, payload: bytes, rows: int) -> dict[str, Any]:
    """POST /api/v1/activities/import?mode=upsert of rows that all exist, 10 % of them changed."""
    body, expected = changed(payload)
    path = "/api/v1/activities/import?mode=upsert"
    sent = bulk.timed_post(server, path, "application/x-ndjson", key, body)
    status, answer, seconds = sent["status"], sent["answer"], sent["seconds"]
    want = {"created": 0, "updated": expected, "unchanged": rows - expected}
    ok = status == 201 and json.loads(answer) == want
    return {
        "rows": rows,
        "changed": expected,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "status": status,
        "errors": 0 if ok else 1,
        "peak_rss_growth_mb": sent["peak_rss_growth_mb"],
        "detail": None if ok else answer[:500].decode(errors="replace"),
    }
