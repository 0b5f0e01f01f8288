"""The status workflow: which moves are allowed, and the transaction that makes one.

open_unresolved -> open_resolved -> closed_implemented | closed_not_implemented. Only an admin may
reopen a closed recommendation (to open_resolved or open_unresolved); everything else is a 409 that
names the moves the caller could make instead. An editor asking to reopen gets 403, not 409: the move
exists, the key's role may not make it (the same answer as any other admin-only action).
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import Conflict, Forbidden
from service.models import RecommendationUpdate
from service.recommendations.schemas import CLOSED, StatusUpdateCreate, StatusUpdateRead
from service.records import sql as records
from service.records.history import Actor
from service.records.pagination import Page, Sort, decode_cursor, encode_cursor, keyset_after
from service.records.sql import ResourceSpec, Row
from service.schemas.vocab import RecommendationStatus as S

UPDATES = RecommendationUpdate.__table__
AT_SORT = Sort(name="at", column=UPDATES.c.at, descending=False)

FORWARD: dict[str, tuple[S, ...]] = {
    S.open_unresolved: (S.open_resolved,),
    S.open_resolved: CLOSED,
    S.closed_implemented: (),
    S.closed_not_implemented: (),
}
REOPEN = (S.open_resolved, S.open_unresolved)


def allowed_moves(from_status: str, is_admin: bool) -> list[str]:
    """The statuses a caller may move a recommendation to from `from_status`."""
    moves = list(FORWARD[from_status])
    if is_admin and from_status in CLOSED:
        moves += REOPEN
    return [str(m) for m in moves]


def check_move(principal: Principal, from_status: str, to_status: str) -> None:
    """403 for a reopen by a non-admin; 409 naming the allowed moves for any other illegal move."""
    if from_status in CLOSED and to_status in REOPEN and not principal.is_admin:
        raise Forbidden("Only an admin may reopen a closed recommendation.")
    allowed = allowed_moves(from_status, principal.is_admin)
    if to_status not in allowed:
        hint = ", ".join(allowed) or "none (only an admin may reopen a closed recommendation)"
        raise Conflict(
            f"A recommendation cannot move from {from_status} to {to_status}; allowed moves: {hint}.",
            extra={"from_status": str(from_status), "to_status": str(to_status), "allowed": allowed},
        )


async def insert_update(
    session: AsyncSession, current: Row, body: StatusUpdateCreate, actor: Principal
) -> Row:
    """Append the update row. clock_timestamp(), not now(): it is read after the row lock, so the
    updates of one recommendation are ordered as they were serialized."""
    stmt = (
        insert(UPDATES)
        .values(
            recommendation_id=current["id"],
            from_status=current["status"],
            to_status=body.to_status,
            note=body.note,
            evidence_url=body.evidence_url,
            at=func.clock_timestamp(),
            actor_key_id=actor.key_id,
            actor_name=actor.name,
            actor_subject=actor.subject,
            actor_issuer=actor.issuer,
        )
        .returning(UPDATES)
    )
    return dict((await session.execute(stmt)).one()._mapping)


async def move_status(
    session: AsyncSession, spec: ResourceSpec, current: Row, update: Row, actor: Principal
) -> Row:
    """Give the locked recommendation its new status (closed_on set on closing, cleared on reopening);
    records.apply_update bumps the version and writes the audit row, the transaction's last statement."""
    to_status = update["to_status"]
    closed_on = update["at"].astimezone(UTC).date() if to_status in CLOSED else None
    return await records.apply_update(
        session, spec, current, {"status": to_status, "closed_on": closed_on}, actor
    )


def to_read(row: Row) -> StatusUpdateRead:
    return StatusUpdateRead(
        **{
            k: row[k] for k in ("id", "recommendation_id", "from_status", "to_status", "note", "evidence_url")
        },
        at=row["at"],
        actor=Actor.of(row["actor_key_id"], row["actor_name"], row["actor_subject"], row["actor_issuer"]),
    )


async def list_updates(
    session: AsyncSession, recommendation_id: uuid.UUID, limit: int, cursor: str | None
) -> Page[StatusUpdateRead]:
    """One page of a recommendation's updates, oldest first."""
    conditions: list[Any] = [UPDATES.c.recommendation_id == recommendation_id]
    if cursor is not None:
        conditions.append(keyset_after(AT_SORT, UPDATES.c.id, decode_cursor(cursor, AT_SORT, UPDATES.c.id)))
    stmt = select(UPDATES).where(*conditions).order_by(UPDATES.c.at, UPDATES.c.id).limit(limit + 1)
    rows = [dict(r._mapping) for r in (await session.execute(stmt)).all()]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(AT_SORT, last["at"], last["id"])
    return Page[StatusUpdateRead](items=[to_read(r) for r in rows[:limit]], next_cursor=next_cursor)
