"""Webhook delivery latency, commit -> receiver, with `oia serve`'s in-process dispatcher.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run python -m bench.webhook_latency [N]

Starts `oia serve` over a fresh database and a local receiver, writes N activities one at a time and
prints p50/p95/max of the time from each write's 201 to its delivery's arrival.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from tests.test_webhooks_live import p95, serve_and_measure


async def main(events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        latencies = await serve_and_measure(Path(tmp), events)
    ms = [x * 1000 for x in latencies]
    print(f"{events} events: p50 {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms, max {max(ms):.0f} ms")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
