"""Which row of a bulk write the database refused: the checks before COPY make this rare (a
concurrent insert of the same key), and the answer still names the row in the file."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from service.errors import classify_db_error


def row_problem(
    exc: asyncpg.PostgresError, records: list[tuple[Any, ...]], row_numbers: list[int], columns: list[str]
) -> Exception:
    """Name the row behind a constraint the checks before COPY did not catch (e.g. a concurrent
    insert of the same key): COPY's error context says "COPY <table>, line <n>"; a staged row's
    unique violation says "Key (<column>)=(<value>) already exists"."""
    problem = classify_db_error(exc)
    if problem is None:
        return exc
    line = _line_of(exc, records, columns)
    if not 0 < line <= len(row_numbers) or problem.status >= 500:
        return problem
    row_no = row_numbers[line - 1]
    detail = f"Row {row_no}: {problem.detail} Nothing was imported."
    errors = [{"loc": ["row", row_no], "msg": problem.detail or "", "type": "database_rule"}]
    return type(problem)(detail, errors=errors)


def _line_of(exc: asyncpg.PostgresError, records: list[tuple[Any, ...]], columns: list[str]) -> int:
    """The 1-based position in the batch of the row the error is about (0: not known)."""
    found = re.search(r"\bline (\d+)", getattr(exc, "context", None) or "")
    if found:
        return int(found.group(1))
    detail = getattr(exc, "detail", None) or ""
    # A unique key names its column and value; a check shows the row, the table's first column (the
    # key, also the first of the COPY's columns) first.
    key = re.match(r"Key \((\w+)\)=\((.*)\) already exists", detail)
    failing = re.match(r"Failing row contains \(([^,)]*)", detail)
    column, value = (
        (key.group(1), key.group(2)) if key else (columns[0], failing.group(1) if failing else None)
    )
    if value is not None and column in columns:
        at = columns.index(column)
        for line, record in enumerate(records, start=1):
            if str(record[at]) == value:
                return line
    return 0
