"""The index behind each new sort serves every page at ~100k rows: page 1, a page after a non-null
value and a page inside the nulls, both directions, each read as index ranges of about a page
(EXPLAIN ANALYZE of the statements the list route runs)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.activities.repository import store as activities
from service.postings.repository import store as postings
from service.recommendations.repository import store as recommendations
from service.records import sql as records
from service.records.pagination import encode_cursor, parse_sort
from tests.support.database import fresh_database_async

ROWS = 100_000
LIMIT = 50

FILL = f"""
INSERT INTO activities (id, identifier, title, activity_type, status, lead_component, countries,
    sensitivity, created_by, updated_by, start_date, end_date, estimated_cost, currency)
SELECT gen_random_uuid(), 'PLAN-' || n, 'Plan ' || n, 'other', 'active', 'CBP', ARRAY['MX'], 'public',
    'test', 'test',
    CASE WHEN n % 5 = 0 THEN NULL ELSE date '2020-01-01' + (n % 900) END,
    CASE WHEN n % 3 = 0 THEN NULL ELSE date '2023-01-01' + (n % 700) END,
    CASE WHEN n % 4 = 0 THEN NULL ELSE (n % 1000) * 10.5 END,
    CASE WHEN n % 4 = 0 THEN NULL ELSE 'USD' END
FROM generate_series(1, {ROWS}) AS n;
INSERT INTO posts (id, name, city, country, post_type, created_by, updated_by)
VALUES ('00000000-0000-7000-8000-000000000001', 'Plan post', 'Mexico City', 'MX', 'embassy', 't', 't');
INSERT INTO postings (id, position_number, component, post_id, position_title, role, employment_category,
    fte, status, nsdd38_status, tour_start, tour_end, created_by, updated_by)
SELECT gen_random_uuid(), 'PLAN-P-' || n, 'CBP', '00000000-0000-7000-8000-000000000001', 'Attaché',
    'other', 'tdy', 1, 'approved', 'approved',
    CASE WHEN n % 5 = 0 THEN NULL ELSE date '2020-01-01' + (n % 900) END,
    CASE WHEN n % 3 = 0 THEN NULL ELSE date '2023-01-01' + (n % 700) END, 't', 't'
FROM generate_series(1, {ROWS}) AS n;
INSERT INTO recommendations (id, report_number, report_title, report_date, number, title, text,
    text_is_summary, responsible_component, concurrence, status, priority, target_date, created_by,
    updated_by)
SELECT gen_random_uuid(), 'PLAN-' || (n / 500), 'Plan', date '2020-01-01', 1 + n % 500, 'R ' || n, 'Text',
    true, 'CBP', 'concur', 'open_unresolved', false,
    CASE WHEN n % 5 = 0 THEN NULL ELSE date '2020-01-01' + (n % 900) END, 't', 't'
FROM generate_series(1, {ROWS}) AS n;
ANALYZE activities;
ANALYZE postings;
ANALYZE recommendations
"""


@pytest.fixture(scope="module")
async def filled() -> AsyncIterator[AsyncEngine]:
    async with fresh_database_async("oia_plans") as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await conn.execute(text(statement))
        yield engine
        await engine.dispose()


def compiled(stmt: Any) -> str:
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found += scans(child)
    return found


CASES = [
    (activities, "start_date"),
    (activities, "end_date"),
    (activities, "estimated_cost"),
    (postings, "tour_start"),
    (postings, "tour_end"),
    (recommendations, "target_date"),
]


@pytest.mark.parametrize(("store", "field"), CASES, ids=[f"{s.spec.name}-{f}" for s, f in CASES])
async def test_every_page_of_a_nullable_sort_is_an_index_range(
    filled: AsyncEngine, store: Any, field: str
) -> None:
    table = store.spec.table
    index = f"ix_{table.name}_{field}_id"
    async with filled.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"SELECT {field}, id FROM {table.name} WHERE {field} IS NOT NULL "
                    f"ORDER BY {field}, id OFFSET {ROWS // 3} LIMIT 1"
                )
            )
        ).one()
        null_row = (
            await conn.execute(
                text(f"SELECT id FROM {table.name} WHERE {field} IS NULL ORDER BY id OFFSET 100 LIMIT 1")
            )
        ).one()
        for token in (field, f"-{field}"):
            sort = parse_sort(token, store.spec.sort_columns(), "id")
            cursors = [None, encode_cursor(sort, row[0], row[1]), encode_cursor(sort, None, null_row[0])]
            for cursor in cursors:
                where = [table.c.archived_at.is_(None)]
                # The columns page_json reads: the rendered row, the sort value, the id.
                columns = [store.projection.label("doc"), sort.column.label(sort.name), table.c.id]
                stmt = records._page_statement(store.spec, columns, where, sort, cursor, LIMIT)
                explained = await conn.scalar(text("EXPLAIN (ANALYZE, FORMAT JSON) " + compiled(stmt)))
                plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
                used = scans(plan)
                where_at = (token, "first page" if cursor is None else "after a cursor")
                assert used, where_at
                assert all(s["Node Type"] in ("Index Scan", "Index Only Scan") for s in used), where_at
                assert all(s["Index Name"] == index for s in used), where_at
                assert sum(s["Actual Rows"] for s in used) <= 2 * (LIMIT + 1), where_at


async def test_a_truncated_title_cursor_seeks_the_title_index(filled: AsyncEngine) -> None:
    """A long title travels as prefix + digest; the seek reads the full value back by id (a primary
    key probe) and still starts an index range on (title, id)."""
    table = activities.spec.table
    long_title = "Plan 5 " + "Сотрудничество пограничных служб по вопросам безопасности " * 3
    async with filled.begin() as conn:
        row_id = await conn.scalar(
            text("UPDATE activities SET title = :t WHERE identifier = 'PLAN-777' RETURNING id"),
            {"t": long_title},
        )
    async with filled.connect() as conn:
        for token in ("title", "-title"):
            sort = parse_sort(token, activities.spec.sort_columns(), "id")
            cursor = encode_cursor(sort, long_title, row_id)
            assert len(cursor) < 250
            columns = [activities.projection.label("doc"), sort.column.label("title"), table.c.id]
            stmt = records._page_statement(activities.spec, columns, [], sort, cursor, LIMIT)
            explained = await conn.scalar(text("EXPLAIN (ANALYZE, FORMAT JSON) " + compiled(stmt)))
            plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
            used = {s["Index Name"]: s["Actual Rows"] for s in scans(plan)}
            assert set(used) == {"ix_activities_title_id", "pk_activities"}, used
            assert used["ix_activities_title_id"] == LIMIT + 1
