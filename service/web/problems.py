"""The handlers that turn every failure into RFC 9457 problem details (application/problem+json).

Domain errors (service.errors) carry their status; FastAPI's validation errors, Starlette's 404/405
and database errors are mapped here too, so no response ever carries a stack trace or SQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from service.errors import PROBLEM_JSON, ProblemError, classify_db_error, unavailable

log = logging.getLogger("service.errors")


def problem_response(
    request: Request,
    status: int,
    title: str,
    slug: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


_HTTP_SLUGS = {
    404: "not-found",
    405: "method-not-allowed",
    401: "unauthorized",
    400: "bad-request",
    408: "request-timeout",
    413: "payload-too-large",
}
_HTTP_TITLES = {404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large"}


def _from_problem(request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(
        request, exc.status, exc.title, exc.slug, exc.detail, exc.errors, exc.headers, exc.extra
    )


async def handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return _from_problem(request, exc)


def build_method_table(prefix: str, routers: Sequence[APIRouter]) -> list[tuple[re.Pattern[str], set[str]]]:
    """(path regex, methods) for every API route, so a 405 can list all methods a path serves."""
    table = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                regex, _, _ = compile_path(prefix + route.path)
                table.append((regex, set(route.methods)))
    return table


def allowed_methods(request: Request) -> str:
    """Every method served at this path (Starlette's 405 names only the first route's)."""
    table = getattr(request.app.state, "method_table", [])
    methods = set().union(*(m for regex, m in table if regex.match(request.url.path)))
    return ", ".join(sorted(methods))


async def handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
    title = _HTTP_TITLES.get(exc.status_code, "HTTP Error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(request, exc.status_code, title, slug, str(exc.detail), headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return problem_response(request, 422, "Unprocessable Content", "validation-error", detail, errors)


async def handle_database(request: Request, exc: Exception) -> JSONResponse:
    problem = classify_db_error(exc)
    if problem is None:
        log.exception("unclassified database error", exc_info=exc)
        return problem_response(request, 500, "Internal Server Error", "internal")
    return _from_problem(request, problem)


async def handle_unreachable(request: Request, exc: Exception) -> JSONResponse:
    # asyncpg leaves connect failures unwrapped (OSError, TimeoutError), and a full pool times out.
    log.warning("database unreachable: %r", exc)
    return _from_problem(request, unavailable())


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(request, 500, "Internal Server Error", "internal")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that make every error problem+json."""
    app.add_exception_handler(ProblemError, handle_problem)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(DBAPIError, handle_database)
    # GET by id runs on a bare asyncpg connection (service.records.read_connection): its errors come
    # unwrapped.
    app.add_exception_handler(asyncpg.PostgresError, handle_database)
    app.add_exception_handler(asyncpg.InterfaceError, handle_unreachable)
    app.add_exception_handler(asyncpg.InternalClientError, handle_unreachable)
    app.add_exception_handler(PoolTimeoutError, handle_unreachable)
    app.add_exception_handler(OSError, handle_unreachable)
    app.add_exception_handler(TimeoutError, handle_unreachable)
    app.add_exception_handler(Exception, handle_unexpected)
