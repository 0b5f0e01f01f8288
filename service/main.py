"""create_app(): lifespan (engine + sessionmaker), routers, error handlers, docs, middleware."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.activities.router import router as activities_router
from service.bulk.routes import bulk_router
from service.changes.router import router as changes_router
from service.components.router import router as components_router
from service.config import Settings, get_settings
from service.coordination.router import router as coordination_router
from service.dashboard import install_dashboard
from service.db import make_engine, make_read_sessionmaker, make_sessionmaker
from service.deadlines.router import router as deadlines_router
from service.ops.embedded import database_url
from service.postings.router import router as postings_router
from service.posts.router import router as posts_router
from service.recommendations.router import router as recommendations_router
from service.records.cursor_secret import load_cursor_secret
from service.replication.wiring import install_consistency_token, install_replica_retry, start_replicas
from service.resources import STORES
from service.strategic_goals.router import router as goals_router
from service.trips.router import router as trips_router
from service.web.admission import Gates
from service.web.body_limit import BodyLimitMiddleware
from service.web.docs import install_docs
from service.web.health import head_revision
from service.web.health import router as health_router
from service.web.index import install_index
from service.web.middleware import RequestContextMiddleware
from service.web.observability import install_observability
from service.web.openapi import build_openapi, operation_id
from service.web.problems import build_method_table, install_error_handlers
from service.web.timeouts import TimeoutMiddleware
from service.webhooks.router import router as webhooks_router
from service.webhooks.worker import start_in_app

DESCRIPTION = """The system of record for what DHS does abroad: international **activities**,
**postings** (positions abroad), the Inspector General's **recommendations**, and coordination
views computed live. Every `/api/v1` call needs `Authorization: Bearer <key>`
(keys are made with `oia keys create`). Errors are RFC 9457 `application/problem+json`."""


API_PREFIX = "/api/v1"
# Order matters twice. Coordination must come before strategic goals and recommendations, so its
# /strategic-goals/coverage and /recommendations/summary win over their /{code} and /{id}. And FastAPI
# tries routes one by one (a few microseconds each), so the collections polled hardest come first.
API_ROUTERS = (
    activities_router,
    postings_router,
    trips_router,
    coordination_router,
    components_router,
    goals_router,
    posts_router,
    recommendations_router,
    deadlines_router,
    changes_router,
    webhooks_router,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    url = database_url(settings)
    engine = make_engine(url, settings)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_read_sessionmaker(engine)
    secret = settings.cursor_secret.get_secret_value() if settings.cursor_secret else None
    stop_secret_retry = await load_cursor_secret(engine, secret)
    replicas = await start_replicas(app, engine, url, settings)
    stop_dispatcher = start_in_app(app)  # `oia serve` only (service.webhooks.worker)
    # What start-up built (routes, pydantic validators, SQLAlchemy metadata: ~150k objects) lives as
    # long as the process, yet every full collection walked all of it: under load a worker stopped
    # for ~100 ms every few seconds, the GET by id p99. Frozen out of the collector's sight, a full
    # collection takes ~3-4 ms (bench/README.md, "Where the time goes").
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        stop_dispatcher()
        gc.unfreeze()
        stop_secret_retry()
        await replicas.aclose()
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application; tests pass their own settings and session."""
    settings = settings or get_settings()
    app = FastAPI(
        title="OIA Registry",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.gates = Gates.from_settings(settings)
    app.state.head_revision = head_revision()
    install_error_handlers(app)
    install_replica_retry(app)  # innermost: see service.replication.wiring
    install_observability(app)  # inside RequestContextMiddleware: the request id is set
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, max_import_bytes=settings.max_import_bytes
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(
        TimeoutMiddleware,
        read_timeout=settings.body_read_timeout_seconds,
        write_timeout=settings.write_timeout_seconds,
        min_rate=settings.min_transfer_bytes_per_second,
    )
    install_consistency_token(app)
    install_docs(app)
    app.include_router(health_router)
    routers = [*API_ROUTERS, *(bulk_router(store) for store in STORES)]
    for router in routers:
        # One level of inclusion, not /api/v1 around the resources: FastAPI matches nested routers
        # level by level, which cost a GET by id ~15 % more.
        app.include_router(router, prefix=API_PREFIX)
    app.state.method_table = build_method_table(API_PREFIX, routers)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    install_dashboard(app)
    install_index(app, API_PREFIX)  # last: FastAPI tries routes in order, the hot ones first
    return app
