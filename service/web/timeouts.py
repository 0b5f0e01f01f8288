"""Deadlines for slow or stalled clients, on the request body and on the response.

A request's body must keep coming: each wait for the next chunk is bounded by BODY_READ_TIMEOUT_SECONDS,
and once that long has passed the average rate must stay above MIN_TRANSFER_BYTES_PER_SECOND, else the
request ends with a 408 (an import's transaction is rolled back and its connection returned). A
response must keep leaving: a client that takes no bytes for WRITE_TIMEOUT_SECONDS (a stalled export)
or reads slower than the minimum rate is abandoned, the handler unwinds (its session and admission
slot are freed) and the connection is closed. Without this, ten clients that asked for an export and
stopped reading held every pooled connection "idle in transaction" for as long as they liked.

The server side of the same job (header deadline, keep-alive, a hard close for unread responses) is in
service.web.server.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("service.timeouts")


class RequestTimeout(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(408, detail, {"Connection": "close"})


class ClientStalled(Exception):
    """The client stopped taking the response; nothing more can be sent to it."""


class _Rate:
    def __init__(self, grace: float, minimum: int) -> None:
        self.started = time.monotonic()
        self.grace, self.minimum, self.bytes = grace, minimum, 0

    def too_slow(self, more: int) -> bool:
        self.bytes += more
        elapsed = time.monotonic() - self.started
        return self.minimum > 0 and elapsed > self.grace and self.bytes / elapsed < self.minimum


class TimeoutMiddleware:
    def __init__(self, app: ASGIApp, read_timeout: float, write_timeout: float, min_rate: int) -> None:
        self.app = app
        self.read_timeout, self.write_timeout, self.min_rate = read_timeout, write_timeout, min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reading = _Rate(self.read_timeout, self.min_rate)
        writing: _Rate | None = None
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()  # after the body this waits for a disconnect: no deadline
            try:
                # asyncio.timeout, not wait_for: no task per call (this runs for every request).
                async with asyncio.timeout(self.read_timeout):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(f"No request body arrived for {self.read_timeout:g} s.") from None
            if message["type"] != "http.request":
                body_done = True
                return message
            body_done = not message.get("more_body", False)
            if not body_done and reading.too_slow(len(message.get("body", b""))):
                raise RequestTimeout(f"The request body arrives slower than {self.min_rate} bytes/s.")
            return message

        async def timed_send(message: Message) -> None:
            nonlocal writing
            if message["type"] == "http.response.start":
                writing = _Rate(self.write_timeout, self.min_rate)
            try:
                async with asyncio.timeout(self.write_timeout):
                    await send(message)
            except TimeoutError:
                raise ClientStalled(f"took nothing for {self.write_timeout:g} s") from None
            streaming = message["type"] == "http.response.body" and message.get("more_body", False)
            if streaming and writing is not None and writing.too_slow(len(message.get("body", b""))):
                raise ClientStalled(f"read slower than {self.min_rate} bytes/s")

        try:
            await self.app(scope, timed_receive, timed_send)
        except ClientStalled as exc:
            # The response had started: all that is left is to close the connection (the server does
            # when the app returns without finishing it).
            log.warning("abandoned a response to %s: the client %s", scope.get("client"), exc)
