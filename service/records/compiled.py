"""Read statements built with SQLAlchemy Core, run straight on the asyncpg connection.

A list page spent about a quarter of its worker CPU inside the session's execute path (connection
bookkeeping, an execution context per statement, result wrapping) around one SELECT. Here the
statement is compiled once per cache key (SQLAlchemy's own: same shape, same SQL), its parameters
are taken from the key as SQLAlchemy takes them, and asyncpg runs it as a prepared statement.

A statement whose SQL depends on its values (an expanding `IN` list: one placeholder per value)
cannot be reused from one compile; it goes through the session as before. The list filters use
service.records.where.one_of (`= ANY(array)`) so that they do not."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.selectable import Select

from service.db import driver_connection

_DIALECT = asyncpg_dialect()
_CAPACITY = 500  # list shapes: filters x sorts x readers; far fewer are used in practice
_COMPILED: OrderedDict[Any, Compiled | None] = OrderedDict()  # None: has expanding parameters


def _compiled(stmt: Select[Any]) -> tuple[Compiled, list[Any]] | None:
    key = stmt._generate_cache_key()
    if key is None:
        return None
    if key.key in _COMPILED:
        compiled = _COMPILED[key.key]
    else:
        compiled = stmt.compile(dialect=_DIALECT, cache_key=key)
        if compiled.post_compile_params or compiled.literal_execute_params:  # type: ignore[attr-defined]
            compiled = None
        _COMPILED[key.key] = compiled
        if len(_COMPILED) > _CAPACITY:
            _COMPILED.popitem(last=False)
    if compiled is None:
        return None
    # As SQLAlchemy's own execution does (engine.default.DefaultExecutionContext._init_compiled).
    params = compiled.construct_params(
        extracted_parameters=key.bindparams, escape_names=False, _collected_params=key.params
    )
    processors = compiled._bind_processors  # type: ignore[attr-defined]
    names = compiled.positiontup or []  # type: ignore[attr-defined]
    return compiled, [processors[n](params[n]) if n in processors else params[n] for n in names]


async def fetch(session: AsyncSession, stmt: Select[Any]) -> Sequence[Mapping[str, Any]]:
    """The rows of one SELECT, each read by label (`row["doc"]`)."""
    found = _compiled(stmt)
    if found is None:
        return [row._mapping for row in (await session.execute(stmt)).all()]
    compiled, args = found
    connection = await driver_connection(session, begin=False)  # one statement: atomic alone
    return await connection.fetch(compiled.string, *args)  # type: ignore[no-any-return]
