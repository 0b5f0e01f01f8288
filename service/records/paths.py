"""How a record is addressed in a path (a UUID, or a reference code that is never a sibling word),
loaded by it, and named in messages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Path, Request
from starlette.convertors import Convertor, register_url_convertor

from service.auth import Principal
from service.errors import NotFound
from service.records import sql as records
from service.records.spec import Row
from service.records.store import RecordStore
from service.web.urls import public_url


class CodeConvertor(Convertor[str]):
    """A reference code in a path; never one of the collection's own words (import, export...),
    so `/strategic-goals/import` reaches its own route rather than `/{code}` (which would answer
    PATCH on it with a 415 instead of a 405)."""

    regex = r"(?!(?:import|export|coverage|summary)(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("code", CodeConvertor())


def record_path(store: RecordStore, suffix: str = "") -> str:
    """`/{id:uuid}` or `/{code:code}`: the converters keep sibling words out of the key."""
    converter = "uuid" if store.spec.key == "id" else "code"
    return f"/{{{store.spec.key}:{converter}}}{suffix}"


def title_of(store: RecordStore) -> str:
    """'an activity', 'a strategic goal': for summaries and docstrings."""
    name = store.singular.replace("_", " ")
    return ("an " if name[0] in "aeiou" else "a ") + name


def key_param(store: RecordStore) -> Any:
    """The path parameter type of one record: a UUID, or a reference code."""
    if store.spec.key == "id":
        return Annotated[uuid.UUID, Path(alias="id", description=f"The {store.singular}'s id")]
    return Annotated[str, Path(alias="code", max_length=32, description=f"The {store.singular}'s code")]


async def load(session: Any, store: RecordStore, key: Any, principal: Principal, *, for_update: bool) -> Row:
    """The record (locked for the transaction when `for_update`), or 404 when there is none or the
    principal may not see it (the same answer: an invisible record is never confirmed to exist)."""
    row = await (records.lock if for_update else records.fetch)(session, store.spec, key)
    if row is None or not store.can_read(principal, row):
        raise NotFound(f"No {store.singular} {key}.")
    return row


def location_of(request: Request, key: Any) -> str:
    """The new record's URL, for `Location` (under PUBLIC_BASE_URL, never the request's `Host`)."""
    return public_url(request, f"{request.url.path.rstrip('/')}/{key}")
