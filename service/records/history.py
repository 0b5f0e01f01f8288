"""Reading the audit log: one record's history, oldest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import BadRequest
from service.models import AuditEntry
from service.records.cursor import decode_value
from service.records.pagination import Page, Sort, decode_cursor, encode_cursor, keyset_after
from service.schemas.types import Timestamp


class Actor(BaseModel):
    key_id: str | None
    name: str


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
    session: AsyncSession, resource: str, record_id: str, limit: int, cursor: str | None
) -> Page[HistoryEntry]:
    table = AuditEntry.__table__
    conditions = [table.c.resource == resource, table.c.record_id == record_id]
    if cursor is not None:
        conditions.append(keyset_after(SEQ_SORT, SEQ, decode_cursor(cursor, SEQ_SORT, SEQ)))
    rows = (await session.execute(select(table).where(*conditions).order_by(SEQ).limit(limit + 1))).all()
    items = [
        HistoryEntry(
            seq=r.seq,
            action=r.action,
            version=r.version,
            at=r.at,
            actor=Actor(key_id=str(r.key_id) if r.key_id else None, name=r.actor_name),
            changes=r.changes,
        )
        for r in rows[:limit]
    ]
    next_cursor = (
        encode_cursor(SEQ_SORT, rows[limit - 1].seq, rows[limit - 1].seq) if len(rows) > limit else None
    )
    return Page[HistoryEntry](items=items, next_cursor=next_cursor)


__all__ = ["HistoryEntry", "datetime", "history_page"]
