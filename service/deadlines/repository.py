"""Deadline SQL: one UNION ALL of a branch per kind, each branch a short index walk.

Every branch orders its rows by one indexed column `key` whose order is the due date's order
(due = key + a constant number of days), so it can stop after the page: a page costs about
(branches x page size) index entries whatever the table sizes, overdue rows included.

- recommendation_target: open, not archived, with a target_date; due target_date
  (ix_recommendations_target_due).
- recommendation_resolution: open_unresolved, not archived; due report_date + 6 months, OMB A-50
  (ix_recommendations_a50_due, on that expression).
- tour_end: filled postings with a tour_end, not archived; due tour_end (ix_postings_tour_end_due).
- nsdd38_decision: postings whose NSDD-38 request is submitted; due nsdd38_submitted_on + 45 days
  (ix_postings_nsdd38_due; the column is kept by a trigger, migration 0006).
- trip_clearance: live trips whose clearance is not_requested or requested; due depart_on minus
  CLEARANCE_LEAD_DAYS (ix_trips_clearance_due).

Each branch's rows are given as the very SQL of its partial index's predicate (constants in the
models), not as bound parameters: a prepared statement's generic plan could not use the index else.
"Today" is the database's current_date. Items name records, so rows the caller may not read (clearance)
are left out by each store's visible_where. The keyset is (due_on, kind, id); each branch gets it as
a bound on its own key, sharpened by comparing its constant kind with the cursor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Date,
    String,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.config import get_settings
from service.deadlines.cursor import After, encode_after
from service.deadlines.schemas import DeadlineKind, DeadlineRow
from service.models.postings import NSDD38_DUE_ROWS, TOUR_END_DUE_ROWS
from service.models.recommendations import A50_DUE, RESOLUTION_DUE_ROWS, TARGET_DUE_ROWS
from service.models.trips import CLEARANCE_DUE_ROWS
from service.postings.repository import store as postings
from service.recommendations.repository import store as recommendations
from service.records.store import RecordStore
from service.records.where import Where
from service.trips.repository import store as trips

# The 1995 State-DOJ letter's decision time for an NSDD-38 request (domain research: a guess for today).
NSDD38_DECISION_DAYS = 45
LABEL_CHARS = 300
R, P, T = recommendations.spec.table.c, postings.spec.table.c, trips.spec.table.c


@dataclass(frozen=True)
class Branch:
    kind: DeadlineKind
    store: RecordStore
    key: Any  # ascending in due order: due = key + shift days
    shift: int
    label: Any
    owner: Any
    where: Where


def branches(lead_days: int) -> list[Branch]:
    """The five kinds (CLEARANCE_LEAD_DAYS is read per request: it moves the trips' due dates)."""
    a50 = literal_column(A50_DUE, Date)
    rec_label = func.concat(R.report_number, " #", R.number, ": ", R.title)
    posting_label = func.concat(P.position_number, ": ", P.position_title)
    return [
        Branch(
            DeadlineKind.recommendation_target, recommendations, R.target_date, 0, rec_label,
            R.responsible_component, [text(TARGET_DUE_ROWS)],
        ),
        Branch(
            DeadlineKind.recommendation_resolution, recommendations, a50, 0, rec_label,
            R.responsible_component, [text(RESOLUTION_DUE_ROWS)],
        ),
        Branch(
            DeadlineKind.tour_end, postings, P.tour_end, 0, posting_label, P.component,
            [text(TOUR_END_DUE_ROWS)],
        ),
        Branch(
            DeadlineKind.nsdd38_decision, postings, P.nsdd38_submitted_on, NSDD38_DECISION_DAYS,
            posting_label, P.component, [text(NSDD38_DUE_ROWS)],
        ),
        Branch(
            DeadlineKind.trip_clearance, trips, T.depart_on, -lead_days,
            func.concat(T.reference, ": ", T.purpose), T.component,
            [text(CLEARANCE_DUE_ROWS)],
        ),
    ]  # fmt: skip


def _after(branch: Branch, after: After) -> Any:
    """Rows of this branch after the cursor in (due_on, kind, id) order, as a bound on its key."""
    bound = after.due_on - timedelta(days=branch.shift)
    if branch.kind > after.kind:
        return branch.key >= bound
    if branch.kind < after.kind:
        return branch.key > bound
    return tuple_(branch.key, branch.store.spec.table.c.id) > tuple_(literal(bound, Date), literal(after.id))


def _branch_select(
    branch: Branch, principal: Principal, within_days: int, components: list[str], after: After | None, n: int
) -> Any:
    table = branch.store.spec.table
    due = branch.key + literal(branch.shift) if branch.shift else branch.key
    today = func.current_date()
    conditions = [*branch.where, *branch.store.visible_where(principal)]
    # Due within the window: key + shift <= today + within_days (overdue rows always pass).
    conditions.append(branch.key <= today + literal(within_days - branch.shift))
    if components:
        conditions.append(branch.owner.in_(components))
    if after is not None:
        conditions.append(_after(branch, after))
    return (
        select(
            literal_column(f"'{branch.kind.value}'", String).label("kind"),
            literal_column(f"'{branch.store.spec.name}'", String).label("resource"),
            table.c.id,
            func.left(branch.label, LABEL_CHARS).label("label"),
            cast(due, Date).label("due_on"),
            (cast(due, Date) - today).label("days_left"),
            branch.owner.label("component"),
        )
        .where(*conditions)
        .order_by(branch.key, table.c.id)
        .limit(n)
    )


async def deadline_page(
    session: AsyncSession,
    principal: Principal,
    within_days: int,
    components: list[str],
    kinds: list[DeadlineKind],
    after: After | None,
    limit: int,
) -> tuple[list[DeadlineRow], str | None]:
    """One page of deadlines, soonest first, and the cursor of the next (None on the last page)."""
    chosen = [b for b in branches(get_settings().clearance_lead_days) if not kinds or b.kind in kinds]
    # Each branch keeps its ORDER BY and LIMIT: SQLAlchemy parenthesises them in the UNION ALL.
    parts = [_branch_select(b, principal, within_days, components, after, limit + 1) for b in chosen]
    merged = union_all(*parts).subquery()
    # Kinds tie-break in byte order (COLLATE "C"), the order the branches' keyset bounds assume.
    order = (merged.c.due_on, merged.c.kind.collate("C"), merged.c.id)
    stmt = select(merged).order_by(*order).limit(limit + 1)
    rows = [DeadlineRow.model_validate(r._asdict()) for r in (await session.execute(stmt)).all()]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_after(After(last.due_on, last.kind, last.id))
