"""PostgreSQL's fast paths for many new records of one table.

Each chunk is COPYed (binary) into the table, and its audit rows - the same `changes` as
service.records.audit.diff(None, values) gives a single create - are COPYed into a temporary table. At the
end one INSERT ... SELECT moves them into audit_log in row order, under the change feed's lock, as
the transaction's last statement (record_audit). Memory holds one chunk, whatever the import's size.

Everything runs in the caller's transaction on the session's own connection, so an import is all or
nothing and commits, like every other write, when the caller commits.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.bulk.row_errors import row_problem
from service.bulk.settings import get_bulk_settings
from service.db import driver_connection
from service.models.base import uuid7
from service.records.audit import FEED_LOCK_ID, SKIPPED_FIELDS, jsonable
from service.records.sql import ResourceSpec, Row
from service.web.context import current_request_id


def created_changes(values: Row) -> str:
    """json.dumps(service.records.audit.diff(None, values)), several times faster: for a new record every
    field that is not null changed from null. pydantic-core writes enums, ids, dates and nested
    models as the API does; Decimals (money, fte) become numbers as records.audit.jsonable makes them."""
    changes = {
        name: {"before": None, "after": float(value) if type(value) is Decimal else value}
        for name, value in values.items()
        if value is not None and name not in SKIPPED_FIELDS
    }
    return to_json(changes).decode()


def _json_value(value: Any) -> Any:
    """json.dumps fallback for a JSONB column's value: nested models and what jsonable knows."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else jsonable(value)


def jsonb_text(value: Any) -> str:
    """A JSONB column's value as JSON text. A list of nested models (an activity's partners) is
    written by pydantic-core in one call, the same JSON as model_dump(mode="json") per model and
    several times faster than json.dumps calling back into Python for each one."""
    if isinstance(value, list) and all(isinstance(item, BaseModel) for item in value):
        return to_json(value).decode()
    return json.dumps(value, default=_json_value)


@dataclass
class Batch:
    """One chunk ready to COPY: table records, audit rows (n, record id, changes, marking, owner),
    file row numbers."""

    records: list[tuple[Any, ...]] = field(default_factory=list)
    audits: list[tuple[int, str, str, str | None, str | None]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)


class CopyWriter:
    """Writes new rows of one table and keeps their audit rows until record_audit()."""

    def __init__(self, spec: ResourceSpec, actor: Principal) -> None:
        self.spec = spec
        self.actor = actor
        self.fields: list[str] = []
        self.columns: list[str] = []
        self.json_fields: set[str] = set()
        self.written = 0
        self.prepared = 0  # rows given audit numbers so far (sent or about to be)
        self.staged = Batch()
        self.started = False
        # One temporary table per writer: an import inside a test's outer transaction never commits,
        # so ON COMMIT DROP alone would let a second import see the first one's rows.
        self.audit_table = f"bulk_audit_{uuid.uuid4().hex[:16]}"
        # PostgreSQL refuses COPY FROM into a table under row-level security: rows of a marked
        # resource are COPYed into a private stage, then moved in with one INSERT ... SELECT.
        self.stage_table = f"bulk_stage_{uuid.uuid4().hex[:16]}" if spec.marking else None
        self.timeout = get_bulk_settings().import_statement_timeout_s

    def _columns(self, values: Row) -> None:
        """The columns are the first row's (the create schema's fields, plus any a store's check
        adds, such as a recommendation's initial status); every row has the same ones."""
        table = self.spec.table
        self.fields = [name for name in values if name in table.c and name != self.spec.key]
        self.columns = [self.spec.key, *self.fields, "created_by", "updated_by"]
        self.json_fields = {f for f in self.fields if isinstance(table.c[f].type, JSONB)}

    async def _start(self, session: AsyncSession) -> None:
        # Through the session, which opens the transaction the raw COPYs then run in. JIT off: the
        # audit INSERT ... SELECT of every row is costed high enough to be compiled with inlining and
        # optimisation (~0.2 s at 100,000 rows), which a statement run once never earns back.
        timeout_ms = str(int(self.timeout * 1000))
        await session.execute(
            text("SELECT set_config('statement_timeout', :ms, true), set_config('jit', 'off', true)"),
            {"ms": timeout_ms},
        )
        # n is the primary key so that record_audit reads the rows back in order from the index
        # instead of sorting them (the sort of 100,000 audit rows spills ~150 MB to disk).
        await session.execute(
            text(
                f"CREATE TEMPORARY TABLE {self.audit_table} "
                "(n bigint PRIMARY KEY, record_id text NOT NULL, changes jsonb NOT NULL, "
                "sensitivity text, owner text) ON COMMIT DROP"
            )
        )
        if self.stage_table is not None:
            # The columns the COPY fills, with their types and no constraints: the table checks them.
            source = f"SELECT {', '.join(self.columns)} FROM {self.spec.table.name}"
            await session.execute(
                text(f"CREATE TEMPORARY TABLE {self.stage_table} ON COMMIT DROP AS {source} WITH NO DATA")
            )
        self.started = True

    def _cells(self, key: Any, values: Row) -> tuple[Any, ...]:
        cells = [jsonb_text(values.get(f)) if f in self.json_fields else values.get(f) for f in self.fields]
        return (key, *cells, self.actor.name, self.actor.name)

    def stage(self, row_no: int, values: Row, key: Any = None) -> None:
        """Build one row's COPY record and audit row into the next batch: pure CPU, no database.
        The importer stages each row as soon as it is validated, while PostgreSQL is still busy
        with the previous chunk's COPY (the id is minted unless `key` or the row carries one)."""
        if not self.columns:
            self._columns(values)
        if key is None:
            key = values[self.spec.key] if self.spec.key in values else uuid7()
        self.staged.records.append(self._cells(key, values))
        marking, owner = self.spec.marking_of(values)
        self.staged.audits.append((self.prepared, str(key), created_changes(values), _text(marking), owner))
        self.staged.row_numbers.append(row_no)
        self.prepared += 1

    def take(self) -> Batch:
        """The rows staged since the last take()."""
        batch, self.staged = self.staged, Batch()
        return batch

    async def send(self, session: AsyncSession, batch: Batch) -> None:
        """COPY a prepared batch in; a row the database refuses is reported by its number in the file."""
        if not self.started:
            await self._start(session)
        connection = await driver_connection(session)
        target = self.stage_table or self.spec.table.name
        try:
            await connection.copy_records_to_table(
                target, records=batch.records, columns=self.columns, timeout=self.timeout
            )
            if self.stage_table is not None:
                columns = ", ".join(self.columns)
                moved = (
                    f"INSERT INTO {self.spec.table.name} ({columns}) SELECT {columns} FROM {self.stage_table}"
                )
                await connection.execute(f"{moved}; TRUNCATE {self.stage_table}", timeout=self.timeout)
        except asyncpg.PostgresError as exc:
            raise row_problem(exc, batch.records, batch.row_numbers, self.columns) from exc
        audit_columns = ["n", "record_id", "changes", "sensitivity", "owner"]
        await connection.copy_records_to_table(
            self.audit_table, records=batch.audits, columns=audit_columns, timeout=self.timeout
        )
        self.written += len(batch.records)

    async def write(
        self, session: AsyncSession, rows: list[Row], row_numbers: list[int], keys: list[Any] | None = None
    ) -> None:
        """stage() every row, then send() them."""
        self.take()
        for index, (row_no, values) in enumerate(zip(row_numbers, rows, strict=True)):
            self.stage(row_no, values, None if keys is None else keys[index])
        await self.send(session, self.take())

    async def record_audit(self, session: AsyncSession) -> None:
        """Write every `create` audit row, in row order, in one INSERT ... SELECT.

        Like service.records.audit.record_change it first takes the change feed's commit-order lock, so it
        must be the transaction's last statement (that module's docstring says why)."""
        if not self.written:
            return
        await session.execute(select(func.pg_advisory_xact_lock(FEED_LOCK_ID)))
        # The temporary table has no statistics, so the planner would sort it; its primary key
        # already holds the order. This is the transaction's last statement, so the setting ends here.
        await session.execute(select(func.set_config("enable_sort", "off", True)))
        connection = await driver_connection(session)
        await connection.execute(
            "INSERT INTO audit_log (resource, record_id, action, version, key_id, actor_name, request_id, "
            "changes, actor_subject, actor_issuer, sensitivity, owner) "
            f"SELECT $1, record_id, 'create', 1, $2, $3, $4, changes, $5, $6, sensitivity, owner "
            f"FROM {self.audit_table} ORDER BY n",
            self.spec.name,
            self.actor.key_id,
            self.actor.name,
            current_request_id(),
            self.actor.subject,
            self.actor.issuer,
            timeout=self.timeout,
        )


def _text(value: Any) -> str | None:
    """An enum's value (the validated rows hold vocabulary enums), as COPY wants text."""
    return None if value is None else str(getattr(value, "value", value))
