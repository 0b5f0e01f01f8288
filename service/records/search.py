"""Full-text search for collections: PostgreSQL text search over the generated `search` columns
(migration 0003: activities = title, tags, partner names, description; recommendations = title, text),
each with a GIN index, ranked with ts_rank.

`q` goes through websearch_to_tsquery('english', q): words are ANDed, "quoted phrases" and `or` work,
`-word` excludes, and no input makes it raise. The configuration must be the one the documents were
built with ('english'), or stemming would not line up.

Pagination with `q`: without an explicit `sort`, results come by relevance (rank descending, then id)
and the cursor holds that (rank, id) pair plus a digest of `q`, so every page is a keyset seek and a
cursor made for another `q` is a 400. With an explicit `sort`, `q` only filters and the usual keyset
sort applies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import uuid
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import REAL, ColumnElement, Table, and_, cast, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import BadRequest
from service.records.sql import ResourceSpec
from service.schemas.types import Text

CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")
RANK_SORT = "rank"

SearchQuery = Annotated[
    Text(200, 1) | None,
    Query(
        description='Full-text search: words, "a phrase", `or`, `-word`. Without `sort`, results come '
        "best match first (the cursor then follows relevance); with `sort`, q only filters.",
    ),
]


def ts_query(q: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(CONFIG, q)


def matches(table: Table, q: str) -> ColumnElement[bool]:
    """WHERE clause: the row's document matches `q` (served by the GIN index on `search`)."""
    return table.c.search.bool_op("@@")(ts_query(q))


def rank(table: Table, q: str) -> ColumnElement[float]:
    return func.ts_rank(table.c.search, ts_query(q), type_=REAL)


def _digest(q: str) -> str:
    return hashlib.sha256(q.encode()).hexdigest()[:16]


def encode_rank_cursor(q: str, value: float, row_id: uuid.UUID) -> str:
    payload = json.dumps(
        {"s": RANK_SORT, "q": _digest(q), "v": value, "i": str(row_id)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_rank_cursor(cursor: str, q: str) -> tuple[float, uuid.UUID]:
    """The (rank, id) a relevance cursor points after; 400 for anything else."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload["s"] != RANK_SORT or payload["q"] != _digest(q):
            raise BadRequest("The cursor was made for another search or sort; start again without it.")
        value = payload["v"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("rank")
        return float(value), uuid.UUID(payload["i"])
    except BadRequest:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc


async def ranked_page_json(
    session: AsyncSession,
    spec: ResourceSpec,
    projection: ColumnElement[str],
    where: list[ColumnElement[bool]],
    q: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[str], str | None]:
    """One page of rows matching `q` and `where`, best match first (rank desc, id asc), each row as
    the JSON text PostgreSQL built for it."""
    table, key = spec.table, spec.key_column
    score = rank(table, q)
    conditions = [*where, matches(table, q)]
    if cursor is not None:
        after_rank, after_id = decode_rank_cursor(cursor, q)
        # The rank round-trips exactly: it is a float4 carried as a double in JSON.
        bound = cast(after_rank, REAL)
        conditions.append(or_(score < bound, and_(score == bound, key > after_id)))
    stmt = (
        select(projection.label("doc"), score.label("rank"), key.label("key"))
        .where(*conditions)
        .order_by(score.desc(), key.asc())
        .limit(limit + 1)
    )
    rows = (await session.execute(stmt)).all()
    docs = [row.doc for row in rows[:limit]]
    if len(rows) <= limit:
        return docs, None
    last = rows[limit - 1]
    return docs, encode_rank_cursor(q, last.rank, last.key)
