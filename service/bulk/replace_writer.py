"""Replacing many existing records of one table at once (import?mode=upsert), set-based.

Each chunk's rows whose key already exists are COPYed into a temporary stage with the id and version
they had when looked up. At the end ONE statement updates the rows that differ from their stage (the
identical ones are not touched: no version, no audit row), keeping each one's before/after of every
changed field in a second temporary table; the audit rows come from it in one INSERT ... SELECT, under
the change feed's lock, as the transaction's last statements (service.records.audit says why).

A row changed by someone else since it was looked up (its version moved) is locked and reported
instead of being overwritten: the import then fails as a whole (409) and writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.bulk.settings import get_bulk_settings
from service.bulk.writer import jsonb_text
from service.db import driver_connection
from service.errors import Conflict
from service.records.audit import FEED_LOCK_ID
from service.records.spec import ResourceSpec, Row
from service.web.context import current_request_id


@dataclass
class ReplaceBatch:
    records: list[tuple[Any, ...]] = field(default_factory=list)


class ReplaceWriter:
    """Stages existing rows' new values; `apply` writes the changed ones and their audit rows."""

    def __init__(self, spec: ResourceSpec, fields: list[str], actor: Principal) -> None:
        self.spec = spec
        self.actor = actor
        self.fields = [name for name in fields if name in spec.table.c and name != spec.key]
        self.json_fields = {f for f in self.fields if isinstance(spec.table.c[f].type, JSONB)}
        self.columns = ["n", spec.key, "version", *self.fields]
        self.staged = ReplaceBatch()
        self.count = 0  # rows staged: each existing record named by the file
        suffix = uuid.uuid4().hex[:16]
        self.stage_table = f"bulk_replace_{suffix}"
        self.changes_table = f"bulk_changes_{suffix}"
        self.started = False
        self.timeout = get_bulk_settings().import_statement_timeout_s

    def stage(self, row_no: int, current: Row, values: Row) -> None:
        """One existing record's new values, with the id and version it had when looked up."""
        cells = [jsonb_text(values.get(f)) if f in self.json_fields else values.get(f) for f in self.fields]
        self.staged.records.append((row_no, current[self.spec.key], current["version"], *cells))
        self.count += 1

    def take(self) -> ReplaceBatch:
        batch, self.staged = self.staged, ReplaceBatch()
        return batch

    async def _start(self, session: AsyncSession) -> None:
        # The import's own statement timeout (the set-based UPDATE may outlast the API's), JIT off as
        # for the COPY path (service.bulk.writer): statements run once never earn back compiling.
        await session.execute(
            text("SELECT set_config('statement_timeout', :ms, true), set_config('jit', 'off', true)"),
            {"ms": str(int(self.timeout * 1000))},
        )
        table = self.spec.table.name
        names = ", ".join(self.fields)
        await session.execute(
            text(
                f"CREATE TEMPORARY TABLE {self.stage_table} ON COMMIT DROP AS "
                f"SELECT 0::bigint AS n, {self.spec.key}, version, {names} FROM {table} WITH NO DATA"
            )
        )
        await session.execute(
            text(
                f"CREATE TEMPORARY TABLE {self.changes_table} (n bigint PRIMARY KEY, "
                "record_id text NOT NULL, version int, changes jsonb NOT NULL, sensitivity text, owner text, "
                "prev_sensitivity text, prev_owner text, raced boolean NOT NULL) ON COMMIT DROP"
            )
        )
        self.started = True

    async def send(self, session: AsyncSession, batch: ReplaceBatch) -> None:
        if not batch.records:
            return
        if not self.started:
            await self._start(session)
        connection = await driver_connection(session)
        await connection.copy_records_to_table(
            self.stage_table, records=batch.records, columns=self.columns, timeout=self.timeout
        )

    def _statement(self) -> str:
        key, table, stage = self.spec.key, self.spec.table.name, self.stage_table
        differs = " OR ".join(f"t.{f} IS DISTINCT FROM s.{f}" for f in self.fields)
        changes = " || ".join(
            f"CASE WHEN t.{f} IS DISTINCT FROM s.{f} THEN jsonb_build_object('{f}', "
            f"jsonb_build_object('before', to_jsonb(t.{f}), 'after', to_jsonb(s.{f}))) ELSE '{{}}'::jsonb END"
            for f in self.fields
        )
        if self.spec.marking:
            marking, owner = self.spec.marking
            before = f"t.{marking} AS prev_sensitivity, t.{owner} AS prev_owner"
            after = f"t.{marking} AS sensitivity, t.{owner} AS owner"
        else:
            before = "NULL::text AS prev_sensitivity, NULL::text AS prev_owner"
            after = "NULL::text AS sensitivity, NULL::text AS owner"
        assignments = ", ".join(f"{f} = s.{f}" for f in self.fields)
        return (
            f"WITH old AS (SELECT t.{key} AS id, t.version AS locked, s.version AS seen, s.n, "
            f"({changes}) AS changes, {before} "
            f"FROM {table} t JOIN {stage} s ON t.{key} = s.{key} "
            f"WHERE t.version <> s.version OR {differs} FOR UPDATE OF t), "
            f"upd AS (UPDATE {table} t SET {assignments}, version = t.version + 1, updated_at = now(), "
            f"updated_by = $1 FROM {stage} s JOIN old o ON o.id = s.{key} "
            f"WHERE t.{key} = s.{key} AND o.locked = o.seen "
            f"RETURNING t.{key} AS id, t.version, {after}) "
            f"INSERT INTO {self.changes_table} (n, record_id, version, changes, sensitivity, owner, "
            "prev_sensitivity, prev_owner, raced) "
            "SELECT o.n, o.id::text, u.version, o.changes, u.sensitivity, u.owner, o.prev_sensitivity, "
            "o.prev_owner, o.locked <> o.seen FROM old o LEFT JOIN upd u ON u.id = o.id"
        )

    async def apply(self, session: AsyncSession) -> int:
        """Update every staged record that differs; how many did. 409 (nothing kept: the caller rolls
        back) when one changed since it was looked up."""
        if not self.started:
            return 0
        connection = await driver_connection(session)
        await connection.execute(f"ANALYZE {self.stage_table}", timeout=self.timeout)
        await connection.execute(self._statement(), self.actor.name, timeout=self.timeout)
        raced = await connection.fetchval(
            f"SELECT min(n) FROM {self.changes_table} WHERE raced", timeout=self.timeout
        )
        if raced is not None:
            msg = "the record was changed by someone else while the import ran; read it again and retry"
            errors = [{"loc": ["row", raced], "msg": msg, "type": "conflict"}]
            raise Conflict(f"Row {raced}: {msg}. Nothing was imported.", errors=errors)
        updated: int = await connection.fetchval(f"SELECT count(*) FROM {self.changes_table}")
        return updated

    async def record_audit(self, session: AsyncSession) -> None:
        """The `update` audit rows of the changed records, in file order (the transaction's last
        statement: it takes the change feed's commit-order lock, which may already be held)."""
        if not self.started:
            return
        await session.execute(select(func.pg_advisory_xact_lock(FEED_LOCK_ID)))
        connection = await driver_connection(session)
        await connection.execute(
            "INSERT INTO audit_log (resource, record_id, action, version, key_id, actor_name, request_id, "
            "changes, actor_subject, actor_issuer, sensitivity, owner, prev_sensitivity, prev_owner) "
            "SELECT $1, record_id, 'update', version, $2, $3, $4, changes, $5, $6, sensitivity, owner, "
            f"prev_sensitivity, prev_owner FROM {self.changes_table} ORDER BY n",
            self.spec.name,
            self.actor.key_id,
            self.actor.name,
            current_request_id(),
            self.actor.subject,
            self.actor.issuer,
            timeout=self.timeout,
        )
