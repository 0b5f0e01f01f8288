"""The HTTP glue in service.replication.asgi on a small app over a real primary and standby: the
token header on writes, read-your-writes through it, a garbled token, a replica lost mid-request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import greenlet_spawn

from service.errors import NotFound
from service.replication import InvalidToken, Node, ReplicaSet, decode_token, engine_token, engine_url
from service.replication.asgi import (
    HEADER,
    ConsistencyTokenMiddleware,
    ReplicaRetryMiddleware,
    choose_for_request,
    note_replica_failure,
)
from service.web.problems import install_error_handlers, problem_response
from tests.support.pg_cluster import Primary, Standby, pg_pair

__all__ = ["pg_pair"]  # a fixture, imported for pytest to find

DB = "oia"


def small_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=2, max_overflow=0)


async def read_connection(request: Request) -> AsyncIterator[tuple[Node, asyncpg.Connection]]:
    """The proposed read dependency: a node by the request's token, and a bare connection from it."""
    replicas: ReplicaSet = request.app.state.replicas
    node = await choose_for_request(replicas, request)
    pooled = await node.engine.raw_connection()
    try:
        yield node, pooled.driver_connection
    except Exception as exc:
        note_replica_failure(request, replicas, node, exc)
        pooled.invalidate(exc)
        raise
    finally:
        await greenlet_spawn(pooled.close)


ReadDep = Annotated[tuple[Node, asyncpg.Connection], Depends(read_connection)]


async def invalid_token(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(request, 400, "Bad Request", "invalid-consistency-token", str(exc))


def build_app(replicas: ReplicaSet) -> FastAPI:
    """The wiring proposed for the service, in miniature."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_exception_handler(InvalidToken, invalid_token)
    app.add_middleware(ReplicaRetryMiddleware)  # first added = innermost
    app.add_middleware(ConsistencyTokenMiddleware, token_source=lambda: engine_token(replicas.primary.engine))
    app.state.replicas = replicas
    app.state.sabotage = []  # standbys to kill just after a read has chosen them
    writer = async_sessionmaker(replicas.primary.engine, expire_on_commit=False)

    @app.get("/items/{item_id}")
    async def get_item(item_id: int, read: ReadDep) -> dict[str, Any]:
        node, conn = read
        if app.state.sabotage and not node.is_primary:
            await app.state.sabotage.pop().kill()
        version = await conn.fetchval("SELECT version FROM item WHERE id = $1", item_id)
        if version is None:
            raise NotFound("no such item")
        return {"version": version, "served_by": "primary" if node.is_primary else "standby"}

    @app.post("/items/{item_id}/bump")
    async def bump(item_id: int) -> dict[str, Any]:
        async with writer() as session:
            version = await session.scalar(
                text("UPDATE item SET version = version + 1 WHERE id = :id RETURNING version"),
                {"id": item_id},
            )
            await session.commit()
        return {"version": version}

    return app


@pytest.fixture(scope="module")
async def http(pg_pair: tuple[Primary, Standby]) -> AsyncIterator[tuple[httpx.AsyncClient, Standby]]:
    primary, standby = pg_pair
    await primary.create_database(DB)
    await primary.execute("CREATE TABLE item (id int PRIMARY KEY, version int NOT NULL)", database=DB)
    await primary.execute("INSERT INTO item VALUES (1, 0)", database=DB)
    await standby.wait_replayed(await primary.flush_lsn())
    engine = small_engine(engine_url(primary.dsn(DB)))
    replicas = ReplicaSet(engine, primary.dsn(DB), [standby.dsn(DB)], small_engine, health_interval=0.2)
    await replicas.start()
    transport = httpx.ASGITransport(app=build_app(replicas), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, standby
    await replicas.aclose()
    await engine.dispose()


async def test_every_write_carries_a_token_and_reads_with_it_see_the_write(
    http: tuple[httpx.AsyncClient, Standby],
) -> None:
    client, _ = http
    by_standby = 0
    for _ in range(30):
        wrote = await client.post("/items/1/bump")
        assert wrote.status_code == 200
        decode_token(wrote.headers[HEADER])  # one this service can read back
        read = await client.get("/items/1", headers={HEADER: wrote.headers[HEADER]})
        assert read.status_code == 200 and read.json()["version"] == wrote.json()["version"]
        by_standby += read.json()["served_by"] == "standby"
        assert HEADER not in read.headers  # reads hand out no token
    assert by_standby >= 27
    missing = await client.get("/items/2")
    assert missing.status_code == 404 and HEADER not in missing.headers


async def test_a_garbled_token_is_a_400_not_an_error(http: tuple[httpx.AsyncClient, Standby]) -> None:
    client, _ = http
    token = (await client.post("/items/1/bump")).headers[HEADER]
    for bad in ("garbage", token[:-1], token + "x", "c1.AAAAAAAAAAAAAAAA"):
        response = await client.get("/items/1", headers={HEADER: bad})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_replica_lost_mid_request_is_answered_by_the_primary(
    http: tuple[httpx.AsyncClient, Standby],
) -> None:
    client, standby = http
    assert (await client.get("/items/1")).json()["served_by"] == "standby"
    client_app: Any = client._transport.app  # type: ignore[attr-defined]
    client_app.state.sabotage.append(standby)
    try:
        response = await client.get("/items/1")
        assert response.status_code == 200, response.text
        assert response.json()["served_by"] == "primary"
        assert not client_app.state.sabotage  # the first attempt did choose the standby
        for _ in range(10):  # the standby stays down: every read is the primary's, none fails
            assert (await client.get("/items/1")).status_code == 200
    finally:
        await standby.start()
