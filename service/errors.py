"""Domain errors (each knows its HTTP status) and how a database error maps to one.

Database errors are classified by SQLSTATE, never by message text: a unique violation is 409, a check,
foreign-key or data error is 422, and anything that means "the database is not there" is 503 with
Retry-After, so clients back off instead of treating an outage as a bug. The handlers that render
them as problem+json are in service.web.problems.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError

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


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too Many Requests", "too-many-requests"


class ServiceUnavailable(ProblemError):
    status, title, slug = 503, "Service Unavailable", "unavailable"


def invalid(loc: list[str | int], msg: str, kind: str = "value_error") -> Unprocessable:
    """A 422 about one field, in the same shape as a schema validation error."""
    return Unprocessable(msg, errors=[{"loc": loc, "msg": msg, "type": kind}])


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
