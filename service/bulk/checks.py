"""Set-based checks for a chunk of import rows: references and unique keys, one query per kind.

The single-record path asks the store (`check_references`) once per record; at 100,000 rows that is
hundreds of thousands of round trips. Here every distinct value of a chunk is looked up at once and
the answers are remembered for the next chunk. A store names its reference fields and their targets
(`RecordStore.references`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import UniqueConstraint, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.records.references import COMPONENT, Target
from service.records.spec import Row
from service.records.store import RecordStore
from service.records.where import one_of

Numbered = list[tuple[int, Row]]
RowError = dict[str, Any]


async def _problems(session: AsyncSession, target: Target, values: set[Any]) -> dict[Any, str]:
    """value -> why it may not be referenced, for the values that fail."""
    table = target.table
    column = table.c[target.column]
    if target is COMPONENT:
        rows = (await session.execute(select(column, table.c.active, table.c.successor_code))).all()
        known = {r[0]: r for r in rows if r[0] in values}
        problems = {}
        for value in values - known.keys():
            problems[value] = f"'{value}' is not a component code (see GET /api/v1/components)"
        for code, active, successor in known.values():
            if not active:
                hint = f"; its work moved to {successor}" if successor else ""
                problems[code] = f"component '{code}' is retired{hint}"
        return problems
    live = set(
        (await session.execute(select(column).where(one_of(column, values), table.c.archived_at.is_(None))))
        .scalars()
        .all()
    )
    return {v: f"{target.what} {v} does not exist or is archived" for v in values - live}


class ReferenceChecker:
    """Checks the reference fields of one resource's rows against live records."""

    def __init__(self, store: RecordStore) -> None:
        self.targets = store.references
        self.good: dict[Target, set[Any]] = defaultdict(set)

    def _wanted(self, rows: Numbered) -> dict[Target, set[Any]]:
        wanted: dict[Target, set[Any]] = defaultdict(set)
        for field, target in self.targets.items():
            bucket = wanted[target]
            for _, values in rows:
                value = values.get(field)
                if isinstance(value, list):
                    bucket.update(value)
                elif value is not None:
                    bucket.add(value)
        for target, bucket in wanted.items():
            bucket -= self.good[target]
        return {target: bucket for target, bucket in wanted.items() if bucket}

    async def check(self, session: AsyncSession, rows: Numbered) -> list[RowError]:
        bad: dict[Target, dict[Any, str]] = {}
        for target, values in self._wanted(rows).items():
            bad[target] = await _problems(session, target, values)
            self.good[target] |= values - bad[target].keys()
        if not any(bad.values()):
            return []
        errors: list[RowError] = []
        for row_no, values in rows:
            for field, target in self.targets.items():
                problems = bad.get(target, {})
                raw = values.get(field)
                for index, value in enumerate(_as_list(raw)):
                    if value in problems:
                        loc = ["row", row_no, field] + ([index] if isinstance(raw, list) else [])
                        errors.append({"loc": loc, "msg": problems[value], "type": "reference_error"})
        return errors


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class KeyChecker:
    """Unique human keys (identifier, position_number, report_number + number...): a key may appear
    once in the file and must not exist in the table yet (archived records keep their keys)."""

    def __init__(self, store: RecordStore, label: str) -> None:
        fields = store.create_model.model_fields
        table = store.spec.table
        self.table = table
        self.label = label
        self.keys = [
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint) or constraint is table.primary_key
            if all(c.name in fields for c in constraint.columns)
        ]
        self.seen: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = {k: {} for k in self.keys}

    def in_file(self, row_no: int, values: Row) -> list[RowError]:
        errors = []
        for key in self.keys:
            value = tuple(values[c] for c in key)
            first = self.seen[key].setdefault(value, row_no)
            if first != row_no:
                msg = f"{_describe(key, value)} is also on row {first}"
                errors.append({"loc": ["row", row_no, key[0]], "msg": msg, "type": "duplicate"})
        return errors

    async def in_table(self, session: AsyncSession, rows: Numbered) -> list[RowError]:
        errors = []
        for key in self.keys:
            columns = [self.table.c[c] for c in key]
            wanted = {tuple(values[c] for c in key): row_no for row_no, values in rows}
            if len(columns) == 1:  # one array parameter: no statement with thousands of parameters
                condition = one_of(columns[0], [value[0] for value in wanted])
            else:
                condition = tuple_(*columns).in_(list(wanted))
            found = (await session.execute(select(*columns).where(condition))).all()
            for existing in found:
                value = tuple(existing)
                msg = f"{self.label} with {_describe(key, value)} already exists"
                errors.append({"loc": ["row", wanted[value], key[0]], "msg": msg, "type": "duplicate"})
        return errors


def _describe(key: tuple[str, ...], value: tuple[Any, ...]) -> str:
    return " and ".join(f"{name} '{v}'" for name, v in zip(key, value, strict=True))
