"""The bulk scenarios: import N activities as NDJSON over HTTP (time), then export them (time, peak RSS)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import quote

import httpx

from bench import gen
from bench.client import Connection
from bench.servers import RssSampler, Server


def ndjson(rows: int, posts_by_country: dict[str, list[str]], run_id: str) -> bytes:
    """`rows` new activities, one JSON object per line, identifiers unique to this run."""
    lines = gen.activities(rows, posts_by_country, seed=hash(run_id) & 0xFFFF, prefix=f"BENCH-I-{run_id}")
    return "\n".join(json.dumps(row) for row in lines).encode() + b"\n"


def timed_post(server: Server, path: str, content_type: str, key: str, body: bytes) -> dict[str, Any]:
    """One POST timed end to end while the workers' peak RSS is sampled: status, answer, seconds,
    peak_rss_growth_mb."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}

    async def send() -> tuple[int, bytes]:
        conn = Connection("127.0.0.1", server.port)
        try:
            answer = await conn.request("POST", path, headers, body)
            return answer.status, answer.body
        finally:
            await conn.close()

    with RssSampler(server) as rss:
        started = time.perf_counter()
        status, answer = asyncio.run(send())
        seconds = time.perf_counter() - started
    return {"status": status, "answer": answer, "seconds": seconds, "peak_rss_growth_mb": rss.growth_mb}


def import_rows(server: Server, key: str, body: bytes, rows: int) -> dict[str, Any]:
    """POST /api/v1/activities/import; all or nothing, so one request, timed end to end."""
    sent = timed_post(server, "/api/v1/activities/import", "application/x-ndjson", key, body)
    status, answer, seconds = sent["status"], sent["answer"], sent["seconds"]
    ok = status == 201 and json.loads(answer).get("imported") == rows
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "status": status,
        "errors": 0 if ok else 1,
        "body_mb": round(len(body) / 2**20, 1),
        "peak_rss_growth_mb": sent["peak_rss_growth_mb"],
        "detail": None if ok else answer[:500].decode(errors="replace"),
    }


def export_rows(server: Server, key: str, since: str) -> dict[str, Any]:
    """Stream GET /api/v1/activities/export?format=ndjson for rows updated since `since`."""
    url = (
        f"http://127.0.0.1:{server.port}/api/v1/activities/export?format=ndjson&updated_since={quote(since)}"
    )
    lines = size = 0
    first_byte = None
    with RssSampler(server) as rss:
        started = time.perf_counter()
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {key}"}, timeout=600) as answer:
            for chunk in answer.iter_bytes():
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                lines += chunk.count(b"\n")
                size += len(chunk)
            status = answer.status_code
        seconds = time.perf_counter() - started
    return {
        "rows": lines,
        "seconds": round(seconds, 2),
        "rows_per_s": round(lines / seconds) if seconds else 0,
        "first_byte_s": round(first_byte or 0, 3),
        "status": status,
        "errors": 0 if status == 200 else 1,
        "mb": round(size / 2**20, 1),
        "peak_rss_growth_mb": rss.growth_mb,
        "rss_baseline_mb": rss.baseline,
        "rss_peak_mb": {pid: round(v, 1) for pid, v in rss.peak.items()},
    }
