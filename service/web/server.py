"""How `oia serve` runs uvicorn: keep-alive, a deadline for request headers, a cap on connections,
and a hard close for connections whose response nobody reads.

uvicorn bounds only the idle time between requests (keep-alive): a connection that sends nothing, or
sends its headers a byte at a time, lives forever. `GuardedHttpToolsProtocol` (uvicorn's httptools
protocol, which `oia serve` uses) adds a deadline from the moment a connection can send a request to
the end of its headers (HEADER_TIMEOUT_SECONDS; then 408 and close). And when the app gives up on a
client that stopped reading (service.web.timeouts), closing the transport would wait for the unread
bytes to drain forever; after WRITE_TIMEOUT_SECONDS it is aborted instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from service.config import Settings, get_settings

_TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # no httptools: uvicorn's h11 protocol, without the header deadline
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


class _HardClosing:
    """A transport whose close() becomes abort() if the client has not taken its bytes in time."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, grace: float) -> None:
        self._transport, self._loop, self._grace = transport, loop, grace

    def close(self) -> None:
        self._transport.close()
        if self._transport.get_write_buffer_size():
            self._loop.call_later(self._grace, self._transport.abort)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


if HttpToolsProtocol is not None:

    class GuardedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc,valid-type]
        """uvicorn's httptools protocol with a header deadline and a hard close (see the module)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            settings = get_settings()
            self.header_timeout = settings.header_timeout_seconds
            self.close_grace = settings.write_timeout_seconds
            self.header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(_HardClosing(transport, self.loop, self.close_grace))  # type: ignore[arg-type]
            self._arm()

        def _arm(self) -> None:
            if self.header_deadline is None:
                self.header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self.header_deadline is not None:
                self.header_deadline.cancel()
                self.header_deadline = None

        def _headers_too_slow(self) -> None:
            self.header_deadline = None
            if not self.transport.is_closing():
                self.transport.write(_TIMEOUT_408)
                self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)


def uvicorn_options(settings: Settings | None = None) -> dict[str, Any]:
    """What `oia serve` passes to uvicorn.run besides the app, host, port and workers."""
    settings = settings or get_settings()
    options: dict[str, Any] = {
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.server_max_connections,
        "timeout_graceful_shutdown": 10,
        "h11_max_incomplete_event_size": 64 * 1024,
    }
    if HttpToolsProtocol is not None:
        options["http"] = GuardedHttpToolsProtocol
    return options
