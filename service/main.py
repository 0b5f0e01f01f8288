"""create_app(): lifespan (engine + sessionmaker), routers, error handlers, docs, middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from service.activities.router import router as activities_router
from service.components.router import router as components_router
from service.config import Settings, get_settings
from service.db import make_engine, make_sessionmaker, resolve_database_url
from service.errors import install_error_handlers
from service.health import head_revision
from service.health import router as health_router
from service.middleware import RequestContextMiddleware
from service.openapi import build_openapi, operation_id
from service.posts.router import router as posts_router
from service.strategic_goals.router import router as goals_router

DESCRIPTION = """The system of record for what DHS does abroad: international **activities**,
**postings** (positions abroad), the Inspector General's **recommendations**, and coordination
views computed live. Every `/api/v1` call needs `Authorization: Bearer <key>`
(keys are made with `oia keys create`). Errors are RFC 9457 `application/problem+json`."""


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    for router in (components_router, goals_router, posts_router, activities_router):
        api.include_router(router)
    return api


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = make_engine(resolve_database_url(settings), settings)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    try:
        yield
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application; tests pass their own settings and session."""
    settings = settings or get_settings()
    app = FastAPI(
        title="OIA Registry",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
        generate_unique_id_function=operation_id,
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.head_revision = head_revision()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router)
    app.include_router(api_router())
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app
