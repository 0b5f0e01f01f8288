"""What `oia import`, `oia export` and `oia seed --demo` do: the same service functions as the HTTP
routes, straight on the database, with a progress bar on a terminal (and none when piped)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.bulk.export import BulkFormat, export_chunks
from service.bulk.importer import import_rows
from service.bulk.settings import get_bulk_settings
from service.bulk.sources import rows_from
from service.bulk.upsert import ImportCounts, upsert_rows, upsert_supported
from service.config import Settings, get_settings
from service.errors import ProblemError
from service.records.store import RecordStore
from service.resources import STORES, store_named

T = TypeVar("T")
Runner = Callable[[Callable[[AsyncSession], Awaitable[T]]], T]  # e.g. service.ops.runner.run_with_session
Echo = Callable[..., None]

# The CLI acts as a named admin with no API key behind it (key_id is null in its audit rows).
CLI_ACTOR = Principal.system("cli")


def format_of(path: Path, given: str | None) -> BulkFormat:
    suffix = path.suffix.lower().lstrip(".")
    name = given or {"jsonl": "ndjson", "ndjson": "ndjson", "csv": "csv"}.get(suffix)
    if name not in ("csv", "ndjson"):
        raise ValueError("say --format csv or --format ndjson (the file name does not tell)")
    return BulkFormat(name)


@contextmanager
def progress_bar(*columns: Any) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal; None otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), *columns, transient=True) as bar:
        yield bar


async def _file_chunks(path: Path, advance: Callable[[int], None]) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            advance(len(chunk))
            yield chunk


def run_import(
    run: Runner[Any], path: Path, resource: str, fmt: str | None, echo: Echo, mode: str = "create"
) -> int:
    """Import (mode create) or upsert a file all or nothing; returns the exit code."""
    try:
        store, kind = store_named(resource), format_of(path, fmt)
        if mode not in ("create", "upsert") or (mode == "upsert" and not upsert_supported(store)):
            raise ValueError(f"--mode is create or upsert (upsert: {', '.join(_keyed())})")
    except ValueError as exc:
        echo(f"error: {exc}", err=True)
        return 2
    with progress_bar(DownloadColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task(f"importing {resource}", total=path.stat().st_size) if bar else None

        def advance(size: int) -> None:
            if bar is not None and task is not None:
                bar.advance(task, size)

        async def work(session: AsyncSession) -> Any:
            rows = rows_from(kind, store, _file_chunks(path, advance))
            if mode == "upsert":
                return await upsert_rows(session, store, CLI_ACTOR, rows)
            return await import_rows(session, store, CLI_ACTOR, rows)

        try:
            done = run(work)
        except ProblemError as exc:
            echo(f"error: {exc.detail or exc.title}", err=True)
            for error in (exc.errors or [])[:20]:
                echo(f"  {_where(error['loc'])}: {error['msg']}", err=True)
            return 1
    if isinstance(done, ImportCounts):
        echo(f"{resource}: {done.created} created, {done.updated} updated, {done.unchanged} unchanged")
    else:
        echo(f"imported {done} {resource}")
    return 0


def _keyed() -> list[str]:
    return [s.spec.name for s in STORES if upsert_supported(s)]


def _where(loc: list[Any]) -> str:
    """["row", 3, "countries", 0] -> "row 3, countries.0"."""
    if len(loc) >= 2 and loc[0] in ("row", "header"):
        rest = ".".join(str(part) for part in loc[2:])
        return f"{loc[0]} {loc[1]}" + (f", {rest}" if rest else "")
    return ".".join(str(part) for part in loc)


def run_export(
    run: Runner[int], resource: str, fmt: str, include_archived: bool, output: Path | None, echo: Echo
) -> int:
    """Stream every record of a resource to `output` (standard output if None); returns the exit code."""
    try:
        store = store_named(resource)
    except ValueError as exc:
        echo(f"error: {exc}", err=True)
        return 2
    table = store.spec.table
    where = [] if include_archived or not store.spec.archivable else [table.c.archived_at.is_(None)]
    with output.open("wb") if output else nullcontext(sys.stdout.buffer) as out:
        return run(lambda session: _export(session, store, BulkFormat(fmt), where, out))


async def _export(
    session: AsyncSession, store: RecordStore, fmt: BulkFormat, where: list[Any], out: BinaryIO
) -> int:
    with progress_bar(MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = None
        if bar is not None:
            count = select(func.count()).select_from(store.spec.table).where(*where)
            task = bar.add_task(f"exporting {store.spec.name}", total=await session.scalar(count))

        def on_rows(rows: int) -> None:
            if bar is not None and task is not None:
                bar.advance(task, rows)

        batch = get_bulk_settings().export_batch_rows
        async for chunk in export_chunks(
            session, store, where, fmt, CLI_ACTOR, batch_rows=batch, on_rows=on_rows
        ):
            out.write(chunk)
    out.flush()
    return 0


def how_to_start_empty(settings: Settings) -> str:
    """What to do when --demo refuses a non-empty database: nothing is ever deleted for you."""
    if settings.database_url:
        return (
            "To try the demo, point DATABASE_URL at a new, empty database (e.g. `createdb oia_demo`, then "
            "DATABASE_URL=postgresql://.../oia_demo uv run oia migrate && uv run oia seed --demo)."
        )
    return (
        f"To try the demo, run it on a fresh embedded database: stop `oia serve`, then "
        f"`rm -rf {settings.embedded_pg_dir}` (this deletes everything in it), `uv run oia migrate` and "
        f"`uv run oia seed --demo`; or set DATABASE_URL to a new, empty database."
    )


def run_demo(run: Runner[Any], scale: float, echo: Echo) -> int:
    """`oia seed --demo`: the synthetic world, or why not; returns the exit code."""
    from service.ops.seed.demo import DemoRefused, seed_demo

    with progress_bar(MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        tasks: dict[str, Any] = {}

        def progress(what: str, done: int, total: int) -> None:
            if bar is not None:
                task = tasks.setdefault(what, bar.add_task(f"demo {what}", total=total))
                bar.update(task, completed=done)

        try:
            summary = run(lambda session: seed_demo(session, scale, progress))
        except DemoRefused as exc:
            echo(f"{'' if exc.already else 'error: '}{exc}", err=not exc.already)
            if not exc.already:
                echo(how_to_start_empty(get_settings()), err=True)
            return 0 if exc.already else 1
    echo(
        f"demo world at scale {scale:g}: {summary.officials:,} officials (FTE of {summary.filled:,} filled "
        f"positions) from {summary.components} components in {summary.cities} cities and "
        f"{summary.countries} countries; {summary.posts:,} posts, {summary.postings:,} postings, "
        f"{summary.activities:,} activities ({summary.overlap_twins:,} overlap twins), "
        f"{summary.trips:,} trips; all marked DEMO-"
    )
    return 0
