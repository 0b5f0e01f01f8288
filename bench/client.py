"""A small keep-alive HTTP/1.1 client and a closed-loop load driver on asyncio.

Used where wrk does not fit (PATCH with If-Match: each connection must track its record's ETag) and
as the whole driver when wrk is not installed. It costs far less client CPU than a general-purpose
client (the driver shares the 2 cores with the server it measures).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PATCH", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parsed = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                parsed[name.strip().lower()] = value.strip()
        if parsed.get("transfer-encoding") == "chunked":
            data = await self._chunked()
        else:
            data = await self.reader.readexactly(int(parsed.get("content-length", "0")))
        if parsed.get("connection") == "close":
            await self.close()
        return Response(int(status_line.split()[1]), parsed, data)

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


@dataclass
class LoopResult:
    """What a closed-loop run measured, in the same shape as the wrk script's JSON line."""

    latencies_us: list[int] = field(default_factory=list)
    errors: int = 0
    duration_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_us) or [0]

        def pct(p: float) -> int:
            return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

        return {
            "requests": len(self.latencies_us),
            "duration_us": int(self.duration_s * 1e6),
            "status_errors": self.errors,
            "socket_errors": 0,
            "p50_us": pct(50),
            "p90_us": pct(90),
            "p99_us": pct(99),
            "max_us": ordered[-1],
            "mean_us": sum(ordered) / len(ordered),
        }


# One step of a virtual user: send one request on its connection and return its HTTP status.
Step = Callable[[Connection, int], Awaitable[int]]


async def closed_loop(
    host: str, port: int, connections: int, seconds: float, step: Step, warmup: float = 0.0
) -> LoopResult:
    """`connections` virtual users, each sending its next request when the last one is answered."""
    result = LoopResult()
    started = time.perf_counter()
    measure_from = started + warmup
    stop = measure_from + seconds

    async def user(index: int) -> None:
        conn = Connection(host, port)
        try:
            while (now := time.perf_counter()) < stop:
                status = await step(conn, index)
                done = time.perf_counter()
                if now >= measure_from:
                    result.latencies_us.append(int((done - now) * 1e6))
                    if not 200 <= status < 400:
                        result.errors += 1
        finally:
            await conn.close()

    await asyncio.gather(*(user(i) for i in range(connections)))
    result.duration_s = time.perf_counter() - measure_from
    return result
