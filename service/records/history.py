"""Reading the audit log: one record's history, oldest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry
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
