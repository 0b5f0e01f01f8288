"""HTTP glue: the token on every successful write, the floor a read demands, and the one retry
on the primary when a replica fails a read before its response has begun."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.replication.failures import retry_on_primary
from service.replication.router import Node, ReplicaSet
from service.replication.token import PRIMARY_ONLY_TOKEN, decode_token

log = logging.getLogger("service.replication")

HEADER = "OIA-Consistency-Token"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Keys in the request's state (request.state.<key>), shared by the dependency and the middleware.
_FAILED = "replica_read_failed"
_ON_PRIMARY = "read_on_primary"


def consistency_floor(headers: Headers) -> int | None:
    """The WAL position a read must see, from its header; InvalidToken (a ValueError) if garbled."""
    value = headers.get(HEADER)
    return None if value is None else decode_token(value)


async def choose_for_request(replicas: ReplicaSet, request: Request) -> Node:
    """The node for this read: the primary on the retry, else by the request's token."""
    if getattr(request.state, _ON_PRIMARY, False):
        return replicas.primary
    return await replicas.choose(consistency_floor(request.headers))


def note_replica_failure(request: Request, replicas: ReplicaSet, node: Node, exc: BaseException) -> None:
    """Call where a read's connection sees an error: on a replica, mark it and ask for the retry."""
    if node.is_primary or not retry_on_primary(exc):
        return
    replicas.mark_failed(node, exc)
    setattr(request.state, _FAILED, True)
    log.warning("read on replica %s failed (%r); running it again on the primary", node.name, exc)


class ConsistencyTokenMiddleware:
    """Stamps every successful write's response with the token of what is committed by then.

    Routes commit before they build their response, so a position read when the response starts
    covers the write; it is server-wide, so any primary connection will do. If it cannot be read
    (the primary is gone just after the commit), the token sends reads to the primary instead."""

    def __init__(self, app: ASGIApp, token_source: Callable[[], Awaitable[str]]) -> None:
        self.app = app
        self._token_source = token_source

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                MutableHeaders(scope=message).append(HEADER, await self._token())
            await send(message)

        await self.app(scope, receive, send_with_token)

    async def _token(self) -> str:
        try:
            return await self._token_source()
        except Exception as exc:
            log.warning("commit position unavailable (%r); token sends reads to the primary", exc)
            return PRIMARY_ONLY_TOKEN


class ReplicaRetryMiddleware:
    """Runs a GET or HEAD once more, on the primary, when a replica failed it (see
    note_replica_failure) before anything was sent: the first attempt's response (the 503 the
    error handlers made of it) is dropped unseen. Add it first, so it sits innermost, just outside
    the exception handlers. A stream that has started cannot be taken back: a replica lost in the
    middle of an export ends that response, as losing the primary would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = dropped = False
        received: list[Message] = []

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def first_send(message: Message) -> None:
            nonlocal started, dropped
            if message["type"] == "http.response.start":
                dropped = not started and bool(state.get(_FAILED))
                started = started or not dropped
            if not dropped:
                await send(message)

        try:
            await self.app(scope, recording_receive, first_send)
        except Exception:
            if started or not state.get(_FAILED):
                raise
            dropped = True
        if not dropped:
            return

        async def replay_receive() -> Message:
            # What the first attempt consumed (a GET's empty body) is handed out again.
            return received.pop(0) if received else await receive()

        state.pop(_FAILED, None)
        state[_ON_PRIMARY] = True
        await self.app(scope, replay_receive, send)
