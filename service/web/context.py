"""The current request's id, readable anywhere below the middleware (e.g. by the audit log)."""

from __future__ import annotations

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


# The reader the database's row-level security sees: (clearance rank, editor's component). Set by
# auth for each request (and by the CLI and background work for themselves); service.db applies it
# to every connection checked out in this context. None: nothing sensitive is visible.
_reader: ContextVar[tuple[int, str | None] | None] = ContextVar("reader", default=None)


def set_reader(clearance_rank: int, editor_component: str | None) -> None:
    _reader.set((clearance_rank, editor_component))


def current_reader() -> tuple[int, str | None] | None:
    return _reader.get()


# A mutable slot per request: auth may run in a copied context, yet the access log must see its write.
_key_slot: ContextVar[dict[str, str] | None] = ContextVar("key_slot", default=None)


def track_key_id() -> dict[str, str]:
    """Open this request's key-id slot (the access-log middleware calls it first)."""
    slot: dict[str, str] = {}
    _key_slot.set(slot)
    return slot


def set_key_id(key_id: object) -> None:
    """Record the calling key's id (never the key) for the access log; auth calls it."""
    slot = _key_slot.get()
    if slot is not None:
        slot["key_id"] = str(key_id)


def current_key_id() -> str | None:
    slot = _key_slot.get()
    return slot.get("key_id") if slot else None
