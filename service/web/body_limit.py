"""Request bodies: size limits that answer 413 as problem+json, and no body read before authentication.

Nothing is buffered here. A declared Content-Length over the limit is refused at once; otherwise the
app reads the body as it needs it (an import as a stream) through a counting `receive` that stops at
the limit with a 413. Routing comes first (an unknown path or method is answered by the router
without reading a byte), and an `/api/` request with a body is authenticated before it is passed
on, so a stranger's upload is refused before it is read, whatever the route would do with it. A
response sent while a body is still unread closes the connection, so the rest is never read either.

Bulk imports (paths ending in /import) get their own, larger limit.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import current_principal
from service.errors import ProblemError, unavailable
from service.web.problems import problem_response

log = logging.getLogger("service.web")
_BODYLESS = ("GET", "HEAD", "OPTIONS")


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit (FastAPI lets HTTPExceptions through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.", {"Connection": "close"})


def _route_matches(scope: Scope) -> bool:
    app: Any = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", ())
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes

    def limit_for(self, path: str) -> int:
        return self.max_import_bytes if path.rstrip("/").endswith("/import") else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._too_large(scope, send, limit)
            return
        has_body = declared not in (None, b"0") or b"chunked" in headers.get(b"transfer-encoding", b"")
        if has_body and scope["path"].startswith("/api/") and _route_matches(scope):
            refusal = await _authenticate(scope)
            if refusal is not None:
                await _send_closing(refusal, scope, receive, send)
                return
        size = 0
        body_done = not has_body

        async def counted() -> Message:
            nonlocal size, body_done
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if size > limit:
                    raise BodyTooLarge(limit)
            else:
                body_done = True
            return message

        async def closing_if_unread(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_done:
                message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        await self.app(scope, counted, closing_if_unread)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        problem = {
            "type": "/problems/payload-too-large",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"The request body is larger than {limit} bytes.",
            "instance": scope["path"],
        }
        payload = json.dumps(problem).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


_LOOKUP_FAILED = (
    DBAPIError,
    PoolTimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


async def _authenticate(scope: Scope) -> ProblemError | None:
    """The 401 a request would get, decided from its headers alone (the key lookup is cached)."""
    try:  # the app's own check, so the two never disagree
        await current_principal(Request(scope))
    except ProblemError as exc:
        return exc
    except _LOOKUP_FAILED as exc:
        # Out here, outside the app's exception handlers, a lost database (a primary failing over)
        # would otherwise be a 500: it is the same 503 + Retry-After the route would answer.
        log.warning("key lookup failed before the body was read: %r", exc)
        return unavailable()
    return None


async def _send_closing(problem: ProblemError, scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope)
    response = problem_response(
        request,
        problem.status,
        problem.title,
        problem.slug,
        problem.detail,
        problem.errors,
        {**problem.headers, "Connection": "close"},
        problem.extra,
    )
    await response(scope, receive, send)
