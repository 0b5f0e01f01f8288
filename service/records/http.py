"""HTTP details shared by routers: ETags, conditional requests, content types, record responses."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from service.errors import (
    PreconditionFailed,
    PreconditionRequired,
    UnsupportedMediaType,
)

IfMatch = Annotated[
    str | None,
    Header(
        max_length=100,
        description='Required: the ETag your change is based on, e.g. "3" (quoted; a bare 3 is accepted too)',
    ),
]
IfNoneMatch = Annotated[str | None, Header(max_length=200)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes retries safe: the same key and body replay the first response (24 h)",
    ),
]

_STRONG_TAG = re.compile(r'^"(\d{1,18})"$')
_BARE_TAG = re.compile(r"^(\d{1,18})$")  # an unquoted version: accepted, see check_if_match
JSON_TYPES = ("application/json", "application/merge-patch+json")


def etag(version: int) -> str:
    return f'"{version}"'


def require_if_match(if_match: str | None, version: int) -> str:
    """428 when a write does not say which version it is based on; the detail names the current one."""
    if if_match is None or not if_match.strip():
        current = etag(version)
        raise PreconditionRequired(
            f"This write needs If-Match with the ETag of the version your change is based on; "
            f"this record's current ETag is {current} (If-Match: {current}).",
            extra={"current_etag": current},
        )
    return if_match


def _versions(if_match: str) -> tuple[set[int], list[str], list[str]]:
    """The versions named by strong tags ("3", or a bare 3: see below), the weak tags, the rest."""
    versions: set[int] = set()
    weak: list[str] = []
    other: list[str] = []
    for tag in (t.strip() for t in if_match.split(",")):
        if m := _STRONG_TAG.match(tag) or _BARE_TAG.match(tag):
            versions.add(int(m.group(1)))
        elif tag.startswith("W/"):
            weak.append(tag)
        elif tag:
            other.append(tag)
    return versions, weak, other


def check_if_match(if_match: str, version: int) -> None:
    """Strong comparison (RFC 9110 13.1.1); 412 otherwise, with a detail that says why.

    RFC 9110 wants entity tags quoted; a bare integer (`If-Match: 3`, a common slip) is read as "3",
    so a client that dropped the quotes is never told that an unchanged record has changed."""
    if if_match.strip() == "*":
        return
    versions, weak, other = _versions(if_match)
    if version in versions:
        return
    current = etag(version)
    if versions and max(versions) < version:
        detail = f"The record has changed: its ETag is now {current}. Read it again and retry."
    elif versions:
        sent = ", ".join(etag(v) for v in sorted(versions))
        what = "is not a version of this record" if min(versions) > version else "does not match"
        detail = f"If-Match {sent} {what}: its ETag is {current}."
    elif weak:
        detail = (
            f"If-Match needs a strong ETag; {weak[0]} is weak and never matches (RFC 9110). "
            f"This record's ETag is {current}."
        )
    else:
        detail = (
            f'If-Match {other[0][:40]!r} is not an ETag: ETags look like "3" (quoted). '
            f"This record's ETag is {current}."
        )
    raise PreconditionFailed(detail, extra={"current_etag": current})


def not_modified(if_none_match: str | None, version: int) -> bool:
    if if_none_match is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag(version) in tags or str(version) in tags


async def require_json(request: Request) -> None:
    """415 for a body that is not JSON (merge patch is JSON too)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise UnsupportedMediaType(
            "Send the body as application/json (or application/merge-patch+json for PATCH)."
        )


def record_response(
    model: BaseModel, version: int, status_code: int = 200, location: str | None = None
) -> JSONResponse:
    headers = {"ETag": etag(version)}
    if location:
        headers["Location"] = location
    return JSONResponse(model.model_dump(mode="json"), status_code=status_code, headers=headers)


def not_modified_response(version: int) -> Response:
    return Response(status_code=304, headers={"ETag": etag(version)})


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json errors a route can send."""
    from service.errors import Problem

    descriptions = {
        400: "Bad request (e.g. a tampered cursor)",
        401: "Missing, unknown or revoked API key",
        403: "The key's role or component may not do this",
        404: "No such record",
        408: "The request body stopped arriving (BODY_READ_TIMEOUT_SECONDS)",
        409: "Conflict with the current state (duplicate key, forbidden move)",
        412: "If-Match does not match the current ETag",
        413: "Request body too large",
        415: "Unsupported content type",
        422: "Invalid input",
        428: "If-Match is required",
        429: "Too many expensive requests at once (exports, imports, searches); retry after Retry-After",
        503: "Database unavailable; retry after Retry-After seconds",
    }
    return {
        s: {
            "model": Problem,
            "description": descriptions.get(s, "Error"),
            "content": {"application/problem+json": {}},
        }
        for s in statuses
    }


WRITE_ERRORS = error_responses(400, 401, 403, 404, 408, 409, 412, 413, 415, 422, 428, 503)
READ_ERRORS = error_responses(400, 401, 404, 422, 503)
