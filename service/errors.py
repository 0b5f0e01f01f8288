"""Domain errors and the handlers that turn every failure into RFC 9457 problem details.

Database errors are classified by SQLSTATE, never by message text: a unique violation is 409, a check,
foreign-key or data error is 422, and anything that means "the database is not there" is 503 with
Retry-After, so clients back off instead of treating an outage as a bug.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from service.config import get_settings

log = logging.getLogger("service.errors")

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` lists the offending fields of a 422."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raised anywhere below the router; rendered as problem+json by the handler."""

    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(ProblemError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(ProblemError):
    status, title, slug = 412, "Precondition Failed", "precondition-failed"


class PayloadTooLarge(ProblemError):
    status, title, slug = 413, "Content Too Large", "payload-too-large"


class UnsupportedMediaType(ProblemError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation-error"


class PreconditionRequired(ProblemError):
    status, title, slug = 428, "Precondition Required", "precondition-required"


class ServiceUnavailable(ProblemError):
    status, title, slug = 503, "Service Unavailable", "unavailable"


def invalid(loc: list[str | int], msg: str, kind: str = "value_error") -> Unprocessable:
    """A 422 about one field, in the same shape as a schema validation error."""
    return Unprocessable(msg, errors=[{"loc": loc, "msg": msg, "type": kind}])


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


_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 400: "bad-request"}

# SQLSTATE classes that mean "the database is unavailable right now", not "your request is wrong".
_UNAVAILABLE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300", "57014", "40001", "40P01")


def _wrapped(exc: BaseException) -> Iterator[BaseException]:
    """The error and the driver errors behind it (SQLAlchemy's .orig, then __cause__), a few deep."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return
        yield seen
        seen = getattr(seen, "orig", None) or seen.__cause__


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE behind a SQLAlchemy error, looking through the driver's wrappers."""
    for seen in _wrapped(exc):
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def _constraint_of(exc: BaseException) -> str | None:
    for seen in _wrapped(exc):
        name = getattr(seen, "constraint_name", None)
        if isinstance(name, str):
            return name
    return None


def _driver_lost_track(exc: BaseException) -> bool:
    """asyncpg's InternalClientError ("cannot switch to state 12; another operation (2) is in
    progress"): the server's FATAL "terminating connection" reached an idle pooled connection just
    before a request took it, and the socket had not closed yet. A shutdown, not a bug."""
    return any(isinstance(seen, asyncpg.InternalClientError) for seen in _wrapped(exc))


def classify_db_error(exc: BaseException) -> ProblemError | None:
    """Map a database error to the problem a client should see (None = a genuine bug)."""
    state = sqlstate_of(exc)
    if state is None:
        lost = (isinstance(exc, DBAPIError) and exc.connection_invalidated) or _driver_lost_track(exc)
        return unavailable() if lost else None
    if state.startswith(_UNAVAILABLE_PREFIXES):
        return unavailable()
    constraint = _constraint_of(exc) or "a constraint"
    if state == "23505":
        return Conflict(f"A record with the same unique key already exists ({constraint}).")
    if state in ("23503", "23514", "23502") or state.startswith("22"):
        return Unprocessable(f"The record breaks a database rule ({constraint}).")
    return None


def unavailable() -> ServiceUnavailable:
    retry = str(get_settings().retry_after_seconds)
    return ServiceUnavailable("The database is unavailable; retry later.", headers={"Retry-After": retry})


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
    title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "HTTP Error")
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
    # GET by id runs on the bare asyncpg connection (db.get_read_connection): its errors come unwrapped.
    app.add_exception_handler(asyncpg.PostgresError, handle_database)
    app.add_exception_handler(asyncpg.InterfaceError, handle_unreachable)
    app.add_exception_handler(asyncpg.InternalClientError, handle_unreachable)
    app.add_exception_handler(PoolTimeoutError, handle_unreachable)
    app.add_exception_handler(OSError, handle_unreachable)
    app.add_exception_handler(TimeoutError, handle_unreachable)
    app.add_exception_handler(Exception, handle_unexpected)
