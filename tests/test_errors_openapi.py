"""Every error is problem+json, and the OpenAPI document says so."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import classify_db_error
from tests.conftest import Keys
from tests.factories import activity

PROBLEM = "application/problem+json"


async def test_unknown_path_and_method(client: httpx.AsyncClient, keys: Keys) -> None:
    missing = await client.get("/api/v1/nothing-here", headers=keys["reader"])
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["instance"] == "/api/v1/nothing-here"
    wrong = await client.put("/api/v1/activities", headers=keys["reader"])
    assert wrong.status_code == 405 and wrong.headers["content-type"] == PROBLEM
    assert wrong.headers["allow"] == "GET, POST"  # every route at the path, not just the first
    word = await client.patch("/api/v1/activities/import", headers=keys["admin"])
    assert word.status_code == 405 and "POST" in word.headers["allow"]


async def test_body_over_limit_is_413(client: httpx.AsyncClient, keys: Keys) -> None:
    big = json.dumps(activity(description="x" * 2_000_000))
    response = await client.post(
        "/api/v1/activities", content=big, headers={**keys["admin"], "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_malformed_json_is_422(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(
        "/api/v1/activities",
        content=b"{not json",
        headers={**keys["admin"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


async def test_non_json_body_is_415(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(
        "/api/v1/activities", content=b"a,b", headers={**keys["admin"], "Content-Type": "text/plain"}
    )
    assert response.status_code == 415


async def test_api_responses_are_not_cacheable(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get("/api/v1/components", headers={**keys["reader"], "X-Request-ID": "abc-123"})
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize(
    ("sql", "status"),
    [
        (
            "INSERT INTO components (code, name, active, created_by, updated_by) "
            "VALUES ('CBP', 'x', true, 't', 't')",
            409,
        ),
        (
            "INSERT INTO posts (id, name, city, country, post_type, created_by, updated_by) "
            "VALUES (gen_random_uuid(), 'n', 'c', 'MX', 'palace', 't', 't')",
            422,
        ),
        (
            "INSERT INTO components (code, name, active, successor_code, created_by, updated_by) "
            "VALUES ('ZZ', 'x', true, 'NOPE', 't', 't')",
            422,
        ),
        ("SELECT 1/0", 422),
        ("SELECT pg_terminate_backend(pg_backend_pid())", 503),
    ],
)
async def test_database_errors_map_by_sqlstate(engine: Any, sql: str, status: int) -> None:
    """Real PostgreSQL errors, classified by SQLSTATE (not by message)."""
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError) as caught:
            await conn.execute(text(sql))
        problem = classify_db_error(caught.value)
        assert problem is not None and problem.status == status
        if status == 503:
            assert problem.headers["Retry-After"]


def test_a_connection_dropped_under_the_driver_is_503_not_500() -> None:
    """The FATAL of a server shutdown can reach an idle pooled connection just before a request
    takes it; asyncpg then fails the statement with InternalClientError (seen in an outage run)."""
    lost = asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress")
    for raised in (lost, DBAPIError("SELECT 1", None, lost)):
        problem = classify_db_error(raised)
        assert problem is not None and problem.status == 503 and problem.headers["Retry-After"]


async def test_openapi_advertises_problem_json(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operation_ids = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            assert operation.get("description") or operation.get("summary"), (method, path)
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == [PROBLEM], (method, path, status)
            if path.startswith("/api/v1") and method in ("post", "patch", "delete"):
                assert "422" in operation["responses"] and "401" in operation["responses"]
    assert len(operation_ids) == len(set(operation_ids))
    assert "list_activities" in operation_ids and "update_activity" in operation_ids


async def test_failed_write_leaves_no_trace(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    before = await session.scalar(text("SELECT count(*) FROM audit_log"))
    await client.post("/api/v1/activities", json=activity(identifier="ONCE"), headers=keys["admin"])
    await client.post("/api/v1/activities", json=activity(identifier="ONCE"), headers=keys["admin"])
    after = await session.scalar(text("SELECT count(*) FROM audit_log"))
    assert after == before + 1
