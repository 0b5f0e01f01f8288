"""All-or-nothing import of many new records of one resource.

Rows arrive as a stream and are validated one by one with the resource's create schema, checked for
ownership and duplicate keys, then checked against the database and COPYed in chunks, all in the
caller's transaction; the audit rows follow in one statement at the end. Any error stops the writing
(later rows are still validated, so one answer lists up to `import_max_errors` problems) and the
caller rolls the transaction back: nothing is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.bulk.checks import KeyChecker, ReferenceChecker, RowError
from service.bulk.parsing import BadRow
from service.bulk.settings import BulkSettings, get_bulk_settings
from service.bulk.writer import CopyWriter
from service.errors import Conflict, Forbidden, PayloadTooLarge, ProblemError, Unprocessable
from service.records.sql import Row
from service.records.store import RecordStore
from service.schemas.vocab import Role

T = TypeVar("T")

# What a reader yields per row: a JSON line, a CSV row already split into a dict, or a row that
# could not even be split.
RawRow = str | dict[str, Any] | BadRow


def ensure_may_import(store: RecordStore, principal: Principal) -> None:
    """Refuse before reading a byte when the key could never write this resource."""
    if store.owner_field is None:
        principal.ensure_admin()
    elif principal.role is Role.reader:
        raise Forbidden("A reader key cannot import.")


@dataclass
class ImportJob:
    session: AsyncSession
    store: RecordStore
    principal: Principal
    limits: BulkSettings = field(default_factory=get_bulk_settings)
    progress: Callable[[int], None] | None = None
    rows_seen: int = 0
    errors: list[RowError] = field(default_factory=list)
    pending: list[tuple[int, Row]] = field(default_factory=list)
    inflight: asyncio.Future[None] | None = None

    def __post_init__(self) -> None:
        self.writer = CopyWriter(self.store.spec, self.principal)
        self.keys = KeyChecker(self.store, _with_article(self.store.singular))
        self.references = ReferenceChecker(self.store)
        self.set_checks = self.store.set_checked_import

    def _validate(self, row_no: int, raw: RawRow) -> Row | None:
        """The row's values by the create schema, or None (and its errors recorded)."""
        if isinstance(raw, BadRow):
            self._fail([{"loc": ["row", row_no, *at], "msg": msg, "type": "csv"} for at, msg in raw.problems])
            return None
        schema = self.store.create_model
        try:
            model = schema.model_validate_json(raw) if isinstance(raw, str) else schema.model_validate(raw)
        except ValidationError as exc:
            self._fail(_pydantic_errors(row_no, exc))
            return None
        # The set-checked path only reads fields, so the validated values serve as they are (nested
        # models included); a store's own per-record checks get the plain dict they are written for.
        return dict(model.__dict__) if self.set_checks else model.model_dump()

    def _fail(self, errors: list[RowError]) -> None:
        self.errors.extend(errors)

    async def add(self, row_no: int, raw: RawRow) -> None:
        self.rows_seen += 1
        if self.rows_seen > self.limits.import_max_rows:
            raise PayloadTooLarge(
                f"The file has more than {self.limits.import_max_rows} rows; split it. Nothing was imported."
            )
        if self.inflight is not None and self.rows_seen % 50 == 0:
            # Validation never waits, so without this the COPY task would get the event loop (to
            # hand its next buffer to PostgreSQL) only at the next chunk.
            await asyncio.sleep(0)
        values = self._validate(row_no, raw)
        if values is None:
            return
        try:
            self.store.ensure_can_write(self.principal, values)
        except Forbidden as exc:
            loc = ["row", row_no, self.store.owner_field or ""]
            errors = [{"loc": loc, "msg": exc.detail or "", "type": "forbidden"}]
            raise Forbidden(f"Row {row_no}: {exc.detail} Nothing was imported.", errors=errors) from exc
        self._row_checks(row_no, values)
        self.pending.append((row_no, values))
        if self.eager and not self.errors:  # once anything failed nothing will be written
            self.writer.stage(row_no, values)
        if len(self.pending) >= self.limits.import_chunk_rows:
            await self.flush()

    @property
    def eager(self) -> bool:
        """Whether a row's COPY record is built as soon as it is valid (see flush)."""
        return self.set_checks

    def _row_checks(self, row_no: int, values: Row) -> None:
        """What is checked of one row without the database: its marking, its keys within the file."""
        self._fail(_guarded(row_no, lambda: self.store.check_marking(self.principal, values, None)))
        self._fail(self.keys.in_file(row_no, values))

    @property
    def full(self) -> bool:
        return len(self.errors) >= self.limits.import_max_errors

    async def flush(self) -> None:
        """Check the pending rows against the database and, while all is well, start writing them.

        The COPY runs as a task while the next chunk is parsed and validated: on two cores Python
        and PostgreSQL then work at the same time. The connection serves one statement at a time,
        so the previous COPY is awaited before this chunk's checks; the chunk's COPY records were
        built row by row in add(), so PostgreSQL goes from one COPY to the next without idling."""
        rows, self.pending = self.pending, []
        if not rows:
            return
        batch = self.writer.take()
        await self.settle()
        await self._check(rows)
        if not self.errors:
            if not self.set_checks:  # a store's own checks may add values (a recommendation's status)
                for row_no, values in rows:
                    self.writer.stage(row_no, values)
                batch = self.writer.take()
            self.inflight = asyncio.ensure_future(self.writer.send(self.session, batch))
        if self.progress is not None:
            self.progress(len(rows))

    async def settle(self) -> None:
        """Wait for the COPY in flight, if any (its error, if any, is raised here)."""
        inflight, self.inflight = self.inflight, None
        if inflight is not None:
            await inflight

    async def _check(self, rows: list[tuple[int, Row]]) -> None:
        self._fail(await self.keys.in_table(self.session, rows))
        if self.set_checks:
            self._fail(await self.references.check(self.session, rows))
            for row_no, values in rows:
                self._fail(_guarded(row_no, lambda v=values: self.store.import_rule(v)))
            return
        for row_no, values in rows:  # the store's own per-record checks (small, admin-only data)
            try:
                await self.store.check_references(self.session, values, None)
            except ProblemError as exc:
                self._fail(_problem_errors(row_no, exc))

    async def finish(self) -> int:
        await self.flush()
        await self.settle()
        if self.errors:
            raise _summary(self.errors[: self.limits.import_max_errors], self.full)
        await self.writer.record_audit(self.session)
        return self.writer.written


async def import_rows(
    session: AsyncSession,
    store: RecordStore,
    principal: Principal,
    rows: AsyncIterator[tuple[int, RawRow]],
    *,
    progress: Callable[[int], None] | None = None,
    limits: BulkSettings | None = None,
) -> int:
    """Import every row or none; returns how many records were created (the caller commits)."""
    ensure_may_import(store, principal)
    job = ImportJob(session, store, principal, limits or get_bulk_settings(), progress)
    return await run_job(job, rows, job.finish)


async def run_job(
    job: ImportJob, rows: AsyncIterator[tuple[int, RawRow]], finish: Callable[[], Awaitable[T]]
) -> T:
    """Feed every row to `job` (stopping once it holds too many errors), then `finish` it."""
    try:
        async for row_no, raw in rows:
            await job.add(row_no, raw)
            if job.full:
                break
        return await finish()
    except BaseException:
        # Never leave a COPY running on the connection the caller is about to roll back.
        with contextlib.suppress(Exception):
            await job.settle()
        raise


def _pydantic_errors(row_no: int, exc: ValidationError) -> list[RowError]:
    return [
        {"loc": ["row", row_no, *err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _problem_errors(row_no: int, exc: ProblemError) -> list[RowError]:
    """A single-record check's problem, re-addressed from the request body to the row."""
    if not exc.errors:
        kind = "conflict" if isinstance(exc, Conflict) else "invalid"
        return [{"loc": ["row", row_no], "msg": exc.detail or exc.title, "type": kind}]
    return [{**err, "loc": ["row", row_no, *[p for p in err["loc"] if p != "body"]]} for err in exc.errors]


def _guarded(row_no: int, check: Callable[[], None]) -> list[RowError]:
    try:
        check()
    except ProblemError as exc:
        return _problem_errors(row_no, exc)
    return []


def _summary(errors: list[RowError], truncated: bool) -> ProblemError:
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"][2:]) or "the row"
    more = f" (showing the first {len(errors)} problems)" if truncated else ""
    detail = f"Row {first['loc'][1]}, {where}: {first['msg']}{more}. Nothing was imported."
    # Like single creates: a taken key or a state rule is a 409, anything else a 422.
    conflicts_only = all(e["type"] in ("duplicate", "conflict") for e in errors)
    return (Conflict if conflicts_only else Unprocessable)(detail, errors=errors)


def _with_article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun
