"""import?mode=upsert: every row is created or replaced by its natural key, all or nothing.

Rows are validated as for a plain import. Per chunk one query finds which keys exist (with each
record's id, version, owner, marking and archived state); new rows then take the plain import's way in
(COPY, service.bulk.writer), existing ones are staged for one set-based UPDATE at the end
(service.bulk.replace_writer), which leaves identical records untouched. Authority and markings are
checked as PUT checks them: an editor replaces only its component's records and moves none away,
and may not mark above its clearance; an archived record is a 409 for its row.

A key held by a record the importer may not see is not found (row-level security), so the row is
taken for new and its INSERT meets the unique constraint: a 409 naming the row, nothing of the record.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.bulk.importer import (
    ImportJob,
    RawRow,
    _guarded,
    _problem_errors,
    _summary,
    ensure_may_import,
    run_job,
)
from service.bulk.replace_writer import ReplaceBatch, ReplaceWriter
from service.bulk.settings import BulkSettings, get_bulk_settings
from service.bulk.writer import Batch
from service.errors import Forbidden, ProblemError
from service.records.spec import Row
from service.records.store import RecordStore
from service.records.where import one_of


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int


def _key_columns(store: RecordStore) -> tuple[str, ...]:
    key = store.spec.natural_key
    assert key is not None, "callers check upsert_supported first"
    return key.columns


def upsert_supported(store: RecordStore) -> bool:
    return store.spec.natural_key is not None


class UpsertJob(ImportJob):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.key_columns = _key_columns(self.store)
        self.replacer = ReplaceWriter(
            self.store.spec, list(self.store.create_model.model_fields), self.principal
        )

    @property
    def eager(self) -> bool:
        return False  # a row is new or existing only once its chunk's keys are looked up

    def _row_checks(self, row_no: int, values: Row) -> None:
        self._fail(self.keys.in_file(row_no, values))  # the marking waits for the current record

    async def _existing(self, rows: list[tuple[int, Row]]) -> dict[tuple[Any, ...], Row]:
        """key -> the record holding it, for the chunk's keys that exist and the session sees."""
        table = self.store.spec.table
        columns = [table.c[c] for c in self.key_columns]
        wanted = [tuple(values[c] for c in self.key_columns) for _, values in rows]
        if len(columns) == 1:
            condition = one_of(columns[0], [key[0] for key in wanted])
        else:
            condition = tuple_(*columns).in_(wanted)
        if self.set_checks:
            marking = [table.c[c] for c in self.store.spec.marking or ()]
            shown = [table.c[self.store.spec.key], table.c.version, table.c.archived_at, *columns, *marking]
            stmt = select(*{c.key: c for c in shown}.values()).where(condition)
        else:  # the store's own checks read the whole record
            stmt = select(table).where(condition)
        found = (await self.session.execute(stmt)).all()
        return {tuple(row._mapping[c] for c in self.key_columns): dict(row._mapping) for row in found}

    def _check_existing(self, row_no: int, current: Row, values: Row) -> None:
        store, what = self.store, self.store.singular.replace("_", " ")
        if not store.can_read(self.principal, current):
            shown = " and ".join(f"{c} '{values[c]}'" for c in self.key_columns)
            msg = f"{self.keys.label} with {shown} already exists"
            self._fail([{"loc": ["row", row_no, self.key_columns[0]], "msg": msg, "type": "conflict"}])
            return
        try:
            store.ensure_can_write(self.principal, current)
        except Forbidden as exc:
            errors = [
                {"loc": ["row", row_no, store.owner_field or ""], "msg": exc.detail, "type": "forbidden"}
            ]
            raise Forbidden(f"Row {row_no}: {exc.detail} Nothing was imported.", errors=errors) from exc
        if current["archived_at"] is not None:
            msg = f"the {what} is archived; an admin must restore it first"
            self._fail([{"loc": ["row", row_no], "msg": msg, "type": "conflict"}])
        self._fail(_guarded(row_no, lambda: store.check_marking(self.principal, values, current)))

    async def flush(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        await self.settle()
        found = await self._existing(rows)
        current_of: dict[int, Row] = {}
        for row_no, values in rows:
            current = found.get(tuple(values[c] for c in self.key_columns))
            if current is None:
                self._fail(
                    _guarded(row_no, lambda v=values: self.store.check_marking(self.principal, v, None))
                )
            else:
                current_of[row_no] = current
                self._check_existing(row_no, current, values)
        await self._check_references(rows, current_of)
        if not self.errors:
            for row_no, values in rows:
                if row_no in current_of:
                    self.replacer.stage(row_no, current_of[row_no], values)
                else:
                    self.writer.stage(row_no, values)
            self.inflight = asyncio.ensure_future(self._send(self.writer.take(), self.replacer.take()))
        if self.progress is not None:
            self.progress(len(rows))

    async def _check_references(self, rows: list[tuple[int, Row]], current_of: dict[int, Row]) -> None:
        if self.set_checks:
            self._fail(await self.references.check(self.session, rows))
            for row_no, values in rows:
                self._fail(_guarded(row_no, lambda v=values: self.store.import_rule(v)))
            return
        for row_no, values in rows:
            try:
                await self.store.check_references(self.session, values, current_of.get(row_no))
            except ProblemError as exc:
                self._fail(_problem_errors(row_no, exc))

    async def _send(self, new: Batch, existing: ReplaceBatch) -> None:
        if new.records:
            await self.writer.send(self.session, new)
        await self.replacer.send(self.session, existing)

    async def finish_upsert(self) -> ImportCounts:
        await self.flush()
        await self.settle()
        if self.errors:
            raise _summary(self.errors[: self.limits.import_max_errors], self.full)
        updated = await self.replacer.apply(self.session)
        await self.writer.record_audit(self.session)
        await self.replacer.record_audit(self.session)
        return ImportCounts(self.writer.written, updated, self.replacer.count - updated)


async def upsert_rows(
    session: AsyncSession,
    store: RecordStore,
    principal: Principal,
    rows: AsyncIterator[tuple[int, RawRow]],
    *,
    progress: Callable[[int], None] | None = None,
    limits: BulkSettings | None = None,
) -> ImportCounts:
    """Create or replace every row by its natural key, or none (the caller commits)."""
    ensure_may_import(store, principal)
    job = UpsertJob(session, store, principal, limits or get_bulk_settings(), progress)
    return await run_job(job, rows, job.finish_upsert)
