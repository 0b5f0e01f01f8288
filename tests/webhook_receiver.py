"""A webhook receiver for tests: a tiny HTTP/1.1 server on 127.0.0.1 whose answer is chosen by the path.

/ok -> 200, /fail -> 500, /redirect -> 302 to /ok, /hang -> reads the request and never answers,
/big -> promises 50 MiB, sends 64 KiB and then stalls (only a reader that stops early returns in time).
With an SSL context it speaks TLS and records the server name each client asked for (SNI).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Receiver:
    ssl_context: ssl.SSLContext | None = None
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> Receiver:
        if self.ssl_context is not None:
            self.ssl_context.sni_callback = lambda _obj, name, _ctx: self.server_names.append(name)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._answer(await self._read(reader), writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read(self, reader: asyncio.StreamReader) -> Received:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        received = Received(method, path, headers, body)
        self.requests.append(received)
        return received

    async def _answer(self, request: Received, writer: asyncio.StreamWriter) -> None:
        if request.path == "/hang":
            await asyncio.Event().wait()
        if request.path == "/big":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 52428800\r\n\r\n" + b"x" * 65536)
            await writer.drain()
            await asyncio.Event().wait()
        status, extra, body = {
            "/ok": ("200 OK", "", b"thanks"),
            "/fail": ("500 Internal Server Error", "", b"boom"),
            "/redirect": ("302 Found", f"location: http://127.0.0.1:{self.port}/ok\r\n", b""),
        }.get(request.path, ("404 Not Found", "", b"no such path"))
        head = f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n{extra}\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
