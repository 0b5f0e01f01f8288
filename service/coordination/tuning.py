"""Planner settings for the views' read transactions (SET LOCAL: they end with the transaction).

- jit off: the self-join behind overlaps has enormous cost estimates, so PostgreSQL would spend
  seconds JIT-compiling a query that runs in tens of milliseconds (measured: 3.1 s of JIT for a
  40 ms query).
- work_mem 64MB: a busy country's activities (~10,000 rows at the benchmark size) stay in memory
  for the CTE rescans and sorts instead of spilling to temporary files.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def analytic(session: AsyncSession) -> None:
    await session.execute(text("SET LOCAL jit = off"))
    await session.execute(text("SET LOCAL work_mem = '64MB'"))
