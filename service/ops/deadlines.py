"""`oia deadlines`: the deadlines list (GET /api/v1/deadlines) as a table for operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.deadlines.cursor import After, decode_after
from service.deadlines.repository import deadline_page
from service.deadlines.schemas import DeadlineRow
from service.errors import ProblemError
from service.records.params import check_component_filter

HEADER = ("DUE", "DAYS", "KIND", "COMPONENT", "ID", "LABEL")
PAGE = 200


async def all_deadlines(session: AsyncSession, within_days: int, components: list[str]) -> list[DeadlineRow]:
    """Every deadline in the window (overdue ones always), soonest first, as the CLI's system actor."""
    await check_component_filter(session, "component", components)
    principal = Principal.system("cli")
    rows: list[DeadlineRow] = []
    after: After | None = None
    while True:
        page, cursor = await deadline_page(session, principal, within_days, components, [], after, PAGE)
        rows += page
        if cursor is None:
            return rows
        after = decode_after(cursor)


def table(rows: list[DeadlineRow], width: int = 70) -> list[str]:
    """Fixed-width lines: a header, one line per deadline (labels cut to `width`), and a total."""
    cells = [
        (str(r.due_on), str(r.days_left), r.kind.value, r.component, str(r.id), _cut(r.label, width))
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADER)]
    lines = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(line)).rstrip() for line in [HEADER, *cells]]
    overdue = sum(1 for r in rows if r.days_left < 0)
    return [*lines, f"{len(rows)} deadlines, {overdue} overdue"]


def run_deadlines(
    run: Callable[[Callable[[AsyncSession], Awaitable[Any]]], Any],
    within_days: int,
    components: list[str],
    echo: Callable[..., None],
) -> int:
    """Print the table; 2 for a component code that is not one (as the API's 422)."""
    try:
        rows = run(lambda session: all_deadlines(session, within_days, components))
    except ProblemError as exc:
        messages = [e["msg"] for e in exc.errors or []] or [exc.detail or exc.title]
        echo(f"error: {'; '.join(messages)}", err=True)
        return 2
    echo("\n".join(table(rows)))
    return 0


def _cut(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
