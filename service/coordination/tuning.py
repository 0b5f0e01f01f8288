"""Planner settings for the views' read transactions (SET LOCAL: they end with the transaction).

- jit off: the self-join behind overlaps has enormous cost estimates, so PostgreSQL would spend
  seconds JIT-compiling a query that runs in tens of milliseconds (measured: 3.1 s of JIT for a
  40 ms query).
- work_mem 64MB: a busy country's activities (~10,000 rows at the benchmark size) stay in memory
  for the CTE rescans and sorts instead of spilling to temporary files.
- custom plans always: the views' statements are prepared (asyncpg) and, after five runs,
  PostgreSQL may switch to a generic plan that cannot see which country is asked for. The right
  plan differs between MX (62,000 live activities at 1M: walk the index in order and stop) and a
  country with ten; a generic plan for the overlaps window took 1.3 s where the custom one takes
  0.5 s. Planning costs a few milliseconds.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def analytic(session: AsyncSession) -> None:
    # set_config(..., true) is SET LOCAL; one statement is one round trip instead of three.
    await session.execute(
        text(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true),"
            " set_config('plan_cache_mode', 'force_custom_plan', true)"
        )
    )
