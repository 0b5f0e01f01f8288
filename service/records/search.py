"""Full-text search for collections: PostgreSQL text search over the generated `search` columns
(migration 0003: activities = title, tags, partner names, description; recommendations = title, text),
each with a GIN index, ranked with ts_rank.

`q` goes through websearch_to_tsquery('english', q): words are ANDed, "quoted phrases" and `or` work,
`-word` excludes, and no input makes it raise. The configuration must be the one the documents were
built with ('english'), or stemming would not line up.

Bounded cost. Ranking needs every match's document, so a common word used to rank hundreds of
thousands of rows per page. Now the first page counts the matches up to SEARCH_RANK_LIMIT (a GIN
probe, or a scan that stops at the limit): that many or fewer are ranked, best match first (rank
desc, then id); more, and the query is too broad to rank, so its matches come newest first (id
desc: ids are time-ordered) and the response says so (`OIA-Search-Order: recency`). Either way only
the page's rows are rendered as JSON. The cursor carries the mode, so later pages keep it, plus a
digest of `q` (a cursor made for another search is a 400). Every `q` request runs under its own
short statement timeout (SEARCH_STATEMENT_TIMEOUT_MS); running out is a 422 "query too broad", not a
503. With an explicit `sort`, `q` only filters and the usual keyset sort applies.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import REAL, ColumnElement, Table, and_, cast, func, literal, literal_column, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import BadRequest, Unprocessable, sqlstate_of
from service.records.cursor import seal, unseal
from service.records.sql import ResourceSpec
from service.schemas.types import Text

CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")
RANK_SORT = "rank"
RECENT_SORT = "recent"  # a query too broad to rank: newest first
ORDER_HEADER = "OIA-Search-Order"

SearchQuery = Annotated[
    Text(200, 1) | None,
    Query(
        description='Full-text search: words, "a phrase", `or`, `-word`. Without `sort`, results come '
        "best match first (the cursor then follows relevance), or newest first when more than "
        "SEARCH_RANK_LIMIT rows match (header OIA-Search-Order: recency); with `sort`, q only filters.",
    ),
]


class QueryTooBroad(Unprocessable):
    title, slug = "Query Too Broad", "query-too-broad"


def ts_query(q: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(CONFIG, q)


def matches(table: Table, q: str) -> ColumnElement[bool]:
    """WHERE clause: the row's document matches `q` (served by the GIN index on `search`)."""
    return table.c.search.bool_op("@@")(ts_query(q))


def rank(table: Table, q: str) -> ColumnElement[float]:
    return func.ts_rank(table.c.search, ts_query(q), type_=REAL)


def _digest(q: str) -> str:
    return hashlib.sha256(q.encode()).hexdigest()[:16]


@asynccontextmanager
async def bounded(session: AsyncSession, timeout_ms: int) -> AsyncIterator[None]:
    """Run a search's statements under its own statement timeout (`session` must be transactional:
    SET LOCAL lasts to its end); a statement that runs out is a 422 "query too broad"."""
    # And a plan per query: how many rows a tsquery matches differs by orders of magnitude between
    # searches, which the generic plan of a prepared statement cannot know.
    settings = select(
        func.set_config("statement_timeout", str(timeout_ms), True),
        func.set_config("plan_cache_mode", "force_custom_plan", True),
    )
    await session.execute(settings)
    try:
        yield
    except DBAPIError as exc:
        if sqlstate_of(exc) == "57014":
            raise QueryTooBroad(
                "The search matches too much to answer in time; add words, a phrase or filters."
            ) from exc
        raise


def encode_search_cursor(table: Table, q: str, mode: str, value: float | None, row_id: Any) -> str:
    payload = {"s": mode, "q": _digest(q), "v": value, "i": str(row_id)}
    return seal(table.name, payload)


def decode_search_cursor(table: Table, cursor: str, q: str) -> tuple[str, float | None, uuid.UUID]:
    """(mode, rank or None, id) of a search cursor; 400 for anything else."""
    payload = unseal(table.name, cursor)
    mode = payload.get("s")
    if mode not in (RANK_SORT, RECENT_SORT) or payload.get("q") != _digest(q):
        raise BadRequest("The cursor was made for another search or sort; start again without it.")
    try:
        value = payload["v"]
        if mode == RANK_SORT:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError("rank")
            value = float(value)
        elif value is not None:
            raise ValueError("a recency cursor has no rank")
        return mode, value, uuid.UUID(_short(payload["i"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor exactly as returned.") from exc


def _short(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not an id")
    return value


async def _too_many(session: AsyncSession, conditions: list[ColumnElement[bool]], cap: int) -> bool:
    """Whether more than `cap` rows match: a count that stops reading at cap + 1."""
    sample = select(literal(1)).where(*conditions).limit(cap + 1).subquery()
    found = await session.scalar(select(func.count()).select_from(sample))
    return int(found or 0) > cap


async def ranked_page_json(
    session: AsyncSession,
    spec: ResourceSpec,
    projection: ColumnElement[str],
    where: list[ColumnElement[bool]],
    q: str,
    cursor: str | None,
    limit: int,
    rank_limit: int = 250,
) -> tuple[list[str], str | None, str]:
    """One page of rows matching `q` and `where`: best match first, or newest first when more than
    `rank_limit` match; each row as the JSON text PostgreSQL built for it. Returns the docs, the
    next cursor and the order used (RANK_SORT or RECENT_SORT)."""
    table, key = spec.table, spec.key_column
    conditions = [*where, matches(table, q)]
    if cursor is not None:
        mode, after_rank, after_id = decode_search_cursor(table, cursor, q)
    else:
        mode, after_rank, after_id = RANK_SORT, None, None
        if await _too_many(session, conditions, rank_limit):
            mode = RECENT_SORT
    score = rank(table, q)
    if mode == RANK_SORT:
        if after_id is not None:
            # The rank round-trips exactly: it is a float4 carried as a double in JSON.
            bound = cast(after_rank, REAL)
            conditions.append(or_(score < bound, and_(score == bound, key > after_id)))
        picked = select(key.label("key"), score.label("rank")).where(*conditions)
        inner = picked.order_by(score.desc(), key.asc()).limit(limit + 1).subquery()
        outer_order = [inner.c.rank.desc(), inner.c.key.asc()]
    else:
        if after_id is not None:
            conditions.append(key < after_id)
        picked = select(key.label("key"), literal(None, REAL).label("rank")).where(*conditions)
        inner = picked.order_by(key.desc()).limit(limit + 1).subquery()
        outer_order = [inner.c.key.desc()]
    # Only the page's rows are rendered: the JSON of every match was most of a broad search's cost.
    stmt = (
        select(projection.label("doc"), inner.c.rank, inner.c.key)
        .select_from(table.join(inner, key == inner.c.key))
        .order_by(*outer_order)
    )
    rows = (await session.execute(stmt)).all()
    docs = [row.doc for row in rows[:limit]]
    if len(rows) <= limit:
        return docs, None, mode
    last = rows[limit - 1]
    return docs, encode_search_cursor(table, q, mode, last.rank, last.key), mode
