"""Fill a fresh database to a named scale for the benchmark.

    uv run python -m bench.load --scale small|large|tiny [--method import|copy]

The database (oia_bench_<scale> on BENCH_SERVER or TEST_DATABASE_URL) is dropped, created and
migrated with alembic. Rows come from bench.gen and go in through the project's own bulk import
(service.bulk.importer.import_rows, the code behind POST /<resource>/import and `oia import`: pydantic
validation, set-based reference checks, binary COPY, one audit row per record), called in-process,
200,000 rows per transaction (IMPORT_MAX_ROWS). `--method copy` skips validation and audit rows and
COPYs straight into the tables: the fallback when the import path is missing or broken. At large
scale the plain indexes of activities and postings are dropped for the load and built once at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import asyncpg

from bench import gen
from bench.common import RESULTS, SCALES, create_admin_key, database_name, dsn, migrate

CHUNK = 200_000  # rows per import transaction: the import's default row cap


class ImportSink:
    """Rows through service.bulk.importer.import_rows, in the service's own transactions."""

    method = "import"

    def __init__(self, url: str, key_id: Any) -> None:
        from service.auth import Principal
        from service.config import Settings
        from service.db import make_engine, make_sessionmaker, normalize_url
        from service.schemas.vocab import Role, Sensitivity

        self.engine = make_engine(
            normalize_url(url), Settings(database_url=url, db_statement_timeout_ms=3_600_000)
        )
        self.maker = make_sessionmaker(self.engine)
        self.principal = Principal(
            key_id=key_id, name="bench-loader", role=Role.admin, component=None, clearance=Sensitivity.les
        )

    async def write(self, resource: str, rows: Iterable[gen.Row]) -> int:
        from service.auth import act_as
        from service.bulk.importer import import_rows
        from service.resources import store_named

        # The connections' reader (row-level security) is this context's: the loader reads as admin/LES.
        act_as(self.principal)
        store = store_named(resource)
        iterator = iter(rows)
        total = 0
        while chunk := list(itertools.islice(iterator, CHUNK)):
            async with self.maker() as session:
                total += await import_rows(session, store, self.principal, _lines(chunk))
                await session.commit()
        return total

    async def close(self) -> None:
        await self.engine.dispose()


async def _lines(rows: list[gen.Row]) -> AsyncIterator[tuple[int, str]]:
    for number, row in enumerate(rows, 1):
        yield number, json.dumps(row)


class CopySink:
    """Rows COPYed straight into the tables (no validation, no audit rows): the fallback."""

    method = "copy"

    def __init__(self, url: str) -> None:
        self.url = url

    async def write(self, resource: str, rows: Iterable[gen.Row]) -> int:
        from datetime import date
        from decimal import Decimal

        from sqlalchemy import Date, Numeric
        from sqlalchemy.dialects.postgresql import JSONB

        from service.models import Base
        from service.models.base import uuid7

        table = Base.metadata.tables[resource.replace("-", "_")]
        conn = await asyncpg.connect(self.url)
        try:
            iterator, total = iter(rows), 0
            while chunk := list(itertools.islice(iterator, 50_000)):
                extra = {"status": "open_unresolved"} if resource == "recommendations" else {}
                columns = ["id", *chunk[0], *extra, "created_by", "updated_by"]
                types = {c: table.c[c].type for c in columns}

                def cell(column: str, value: Any, types: dict[str, Any] = types) -> Any:
                    kind = types[column]
                    if value is None:
                        return None
                    if isinstance(kind, JSONB):
                        return json.dumps(value)
                    if isinstance(kind, Date):
                        return date.fromisoformat(value)
                    if isinstance(kind, Numeric):
                        return Decimal(str(value))
                    return value

                records = [
                    (uuid7(), *(cell(c, v) for c, v in {**row, **extra}.items()), "bench", "bench")
                    for row in chunk
                ]
                await conn.copy_records_to_table(table.name, records=records, columns=columns)
                total += len(records)
            return total
        finally:
            await conn.close()

    async def close(self) -> None:
        return None


async def fresh_database(name: str) -> str:
    admin = await asyncpg.connect(dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = dsn(name)
    await asyncio.to_thread(migrate, url)
    return url


async def drop_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Drop the plain (not primary, not unique) indexes and return their DDL: building each once at the
    end beats maintaining it row by row (the GIN indexes above all). Unique keys stay, so the import
    still checks identifiers."""
    rows = await conn.fetch(
        "SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS ddl FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = ANY($1::regclass[]) "
        "AND NOT x.indisprimary AND NOT x.indisunique",
        tables,
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["name"]}"')
    return [row["ddl"] for row in rows]


async def fill(
    url: str, sink: ImportSink | CopySink, sizes: dict[str, int], rebuild_indexes: bool
) -> dict[str, float]:
    """Posts, then activities (linked to posts), postings (to posts and activities), recommendations,
    trips (to posts and activities)."""
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(url)
    indexes = await drop_indexes(conn, ["activities", "postings", "trips"]) if rebuild_indexes else []

    async def step(resource: str, rows: Iterator[gen.Row]) -> None:
        started = time.perf_counter()
        count = await sink.write(resource, rows)
        timings[resource] = round(time.perf_counter() - started, 1)
        print(f"  {resource:<16} {count:>9,} rows  {timings[resource]:7.1f} s", flush=True)

    try:
        await step("posts", gen.posts(sizes["posts"]))
        post_rows = [(str(r["id"]), r["country"]) for r in await conn.fetch("SELECT id, country FROM posts")]
        by_country: dict[str, list[str]] = {}
        for post_id, country in post_rows:
            by_country.setdefault(country, []).append(post_id)
        await step("activities", gen.activities(sizes["activities"], by_country))
        sample = "SELECT id::text FROM {} WHERE archived_at IS NULL ORDER BY random() LIMIT 20000"
        activity_ids = [r[0] for r in await conn.fetch(sample.format("activities"))]
        await step("postings", gen.postings(sizes["postings"], post_rows, activity_ids))
        posting_ids = [r[0] for r in await conn.fetch(sample.format("postings"))]
        await step(
            "recommendations", gen.recommendations(sizes["recommendations"], activity_ids, posting_ids)
        )
        await step("trips", gen.trips(sizes.get("trips", 0), post_rows, activity_ids))
        started = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for ddl in indexes:
            await conn.execute(ddl)
        timings["indexes"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    finally:
        await conn.close()
    return timings


async def load(scale: str, method: str, rebuild_indexes: bool) -> dict[str, Any]:
    name = database_name(scale)
    started = time.perf_counter()
    url = await fresh_database(name)
    print(f"{name}: migrated in {time.perf_counter() - started:.1f} s; loading with {method}", flush=True)
    sink: ImportSink | CopySink
    if method == "import":
        key_id, _ = await create_admin_key(url, "bench-loader")
        sink = ImportSink(url, key_id)
    else:
        sink = CopySink(url)
    try:
        timings = await fill(url, sink, SCALES[scale], rebuild_indexes)
    finally:
        await sink.close()
    total = round(time.perf_counter() - started, 1)
    print(f"{name}: loaded in {total} s", flush=True)
    meta = {"scale": scale, "database": name, "method": method, "sizes": SCALES[scale], "seconds": timings}
    meta["rebuilt_indexes"] = rebuild_indexes
    meta["total_seconds"] = total
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load-{scale}.json").write_text(json.dumps(meta, indent=2))
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--method", choices=["import", "copy"], default="import")
    parser.add_argument(
        "--rebuild-indexes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="drop plain indexes during the load and build them once after (default: at large scale)",
    )
    args = parser.parse_args()
    rebuild = args.scale == "large" if args.rebuild_indexes is None else args.rebuild_indexes
    asyncio.run(load(args.scale, args.method, rebuild))


if __name__ == "__main__":
    main()
