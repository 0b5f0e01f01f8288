"""The service's replicas, set up at start-up: a ReplicaSet over DATABASE_URL and
DATABASE_REPLICA_URLS, sessions for each standby, and the two middlewares."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from service.config import Settings
from service.db import make_engine, make_read_sessionmaker, make_sessionmaker
from service.replication.asgi import ConsistencyTokenMiddleware, ReplicaRetryMiddleware
from service.replication.queries import engine_token
from service.replication.report import NodeReport
from service.replication.router import ReplicaSet
from service.replication.token import PRIMARY_ONLY_TOKEN


async def start_replicas(app: FastAPI, engine: AsyncEngine, url: str, settings: Settings) -> ReplicaSet:
    """Route reads through a ReplicaSet from now on. Each standby's engine is made by make_engine,
    like the primary's: the same role, timeouts and reader hook, so row-level security holds there
    too. With no replicas configured, nothing is probed or started: every read goes to the primary."""
    replicas = ReplicaSet(
        engine,
        url,
        settings.replica_urls(),
        lambda replica_url: make_engine(replica_url, settings),
        max_lag_seconds=settings.replica_max_lag_seconds,
        wait_seconds=settings.replica_wait_ms / 1000,
        health_interval=settings.replica_health_interval_seconds,
    )
    app.state.replica_makers = {
        node: (make_read_sessionmaker(node.engine), make_sessionmaker(node.engine))
        for node in replicas.replicas
    }
    if replicas.replicas:
        await replicas.start()
    app.state.replicas = replicas
    return replicas


def replication_report(app: FastAPI, in_recovery: bool, lsn: str | None, server: str) -> list[NodeReport]:
    """Each node's role and lag for /health/ready, as of the health loop's last round; without
    standbys (no loop) the primary's line from what the readiness query just read of it."""
    replicas: ReplicaSet | None = getattr(app.state, "replicas", None)
    if replicas is None:
        return []
    if replicas.replicas:
        return replicas.node_report()
    role: Literal["primary", "standby"] = "standby" if in_recovery else "primary"
    return [
        NodeReport(
            name=replicas.primary.name,
            configured_as="primary",
            role=role,
            reachable=True,
            serving_reads=True,
            lag_seconds=None,
            lag_bytes=None,
            lsn=lsn,
            replay_paused=False,
            server=server,
            error=None,
        )
    ]


async def _token(app: FastAPI) -> str:
    engine: AsyncEngine | None = getattr(app.state, "engine", None)
    return PRIMARY_ONLY_TOKEN if engine is None else await engine_token(engine)


def install_replica_retry(app: FastAPI) -> None:
    """Call before adding any other middleware: the retry must sit innermost, just outside the
    exception handlers, so it sees the 503 a failed replica read became and nothing else does."""
    app.add_middleware(ReplicaRetryMiddleware)


def install_consistency_token(app: FastAPI) -> None:
    """Every successful write answers with OIA-Consistency-Token (also with no replicas configured)."""
    app.add_middleware(ConsistencyTokenMiddleware, token_source=lambda: _token(app))
