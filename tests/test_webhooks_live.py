"""`oia serve` delivers webhooks with no other process (its in-process dispatcher), within 2 s of the
commit at p95; a revoked key's subscription gets nothing."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import httpx

from tests.factories import activity
from tests.live_server import live_server
from tests.webhook_receiver import Receiver

EVENTS = 40


async def measure_latency(base_url: str, key: str, receiver: Receiver, events: int = EVENTS) -> list[float]:
    """Seconds from each write's answer (sent after its commit) to its delivery's arrival."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:
        made = await client.post(
            "/api/v1/webhooks", json={"url": receiver.url("/ok"), "resources": ["activities"]}
        )
        assert made.status_code == 201, made.text
        latencies = []
        for _ in range(events):
            before = len(receiver.requests)
            answer = await client.post("/api/v1/activities", json=activity())
            assert answer.status_code == 201
            committed = time.monotonic()
            while len(receiver.requests) == before:
                assert time.monotonic() - committed < 15, "no delivery within 15 s"
                await asyncio.sleep(0.002)
            latencies.append(time.monotonic() - committed)
    return latencies


async def serve_and_measure(tmp_path: Path, events: int) -> list[float]:
    """`oia serve` (started in a thread: its helper runs an event loop of its own) and a receiver."""
    receiver = await Receiver().start()
    server = live_server(tmp_path, env={"WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
    running = await asyncio.to_thread(server.__enter__)
    try:
        return await measure_latency(running.base_url, running.key, receiver, events)
    finally:
        await asyncio.to_thread(server.__exit__, None, None, None)
        await receiver.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def test_oia_serve_delivers_within_two_seconds_at_p95(tmp_path: Path) -> None:
    latencies = await serve_and_measure(tmp_path, EVENTS)
    print(
        f"webhook latency over {len(latencies)} events: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert p95(latencies) < 2.0
