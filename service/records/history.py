"""Reading the audit log: one record's history, oldest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import BadRequest
from service.models import AuditEntry
from service.records.cursor import decode_value
from service.records.pagination import Page, Sort, decode_cursor, encode_cursor, keyset_after
from service.records.where import readable
from service.schemas.types import Timestamp


class Actor(BaseModel):
    """Who wrote: an API key (key_id and its name) or a token (subject and issuer, name = azp)."""

    key_id: str | None
    name: str
    subject: str | None = None
    issuer: str | None = None

    @classmethod
    def of(cls, key_id: object, name: str, subject: str | None, issuer: str | None) -> Actor:
        return cls(key_id=str(key_id) if key_id else None, name=name, subject=subject, issuer=issuer)

    @model_serializer(mode="wrap")
    def _key_or_token(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A key's actor is {key_id, name}; a token's adds subject and issuer."""
        data: dict[str, Any] = handler(self)
        if self.subject is None and self.issuer is None:
            data.pop("subject", None)
            data.pop("issuer", None)
        return data


class HistoryEntry(BaseModel):
    seq: int
    action: str
    version: int
    at: Timestamp
    actor: Actor
    changes: dict[str, Any]


SEQ = AuditEntry.__table__.c.seq
SEQ_SORT = Sort(name="seq", column=SEQ, descending=False)


def feed_position(cursor: str) -> int:
    """The seq a change-feed cursor points after. Integrators store these for as long as they sync,
    so one from before cursors were signed (base64url JSON of a seq, 1.0) is still read: it grants
    nothing (every position of the feed is open to every key) and its value is type-checked alike."""
    try:
        return int(decode_cursor(cursor, SEQ_SORT, SEQ)[1])
    except BadRequest:
        legacy = _unsigned_seq(cursor)
        if legacy is None:
            raise
        return legacy


def _unsigned_seq(cursor: str) -> int | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload.get("s") != "seq" or payload.get("v") != payload.get("i"):
            return None
        return int(decode_value(SEQ, payload["i"]))
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error):
        return None


async def history_page(
    session: AsyncSession,
    resource: str,
    record_id: str,
    limit: int,
    cursor: str | None,
    principal: Principal,
) -> Page[HistoryEntry]:
    """Oldest first; an entry made while the record was above the caller's clearance is left out."""
    table = AuditEntry.__table__
    conditions = [
        table.c.resource == resource,
        table.c.record_id == record_id,
        or_(table.c.sensitivity.is_(None), readable(principal, table.c.sensitivity, table.c.owner)),
    ]
    if cursor is not None:
        conditions.append(keyset_after(SEQ_SORT, SEQ, decode_cursor(cursor, SEQ_SORT, SEQ)))
    rows = (await session.execute(select(table).where(*conditions).order_by(SEQ).limit(limit + 1))).all()
    items = [
        HistoryEntry(
            seq=r.seq,
            action=r.action,
            version=r.version,
            at=r.at,
            actor=Actor.of(r.key_id, r.actor_name, r.actor_subject, r.actor_issuer),
            changes=r.changes,
        )
        for r in rows[:limit]
    ]
    next_cursor = (
        encode_cursor(SEQ_SORT, rows[limit - 1].seq, rows[limit - 1].seq) if len(rows) > limit else None
    )
    return Page[HistoryEntry](items=items, next_cursor=next_cursor)


__all__ = ["HistoryEntry", "datetime", "history_page"]
