"""Prometheus metrics at /metrics and one JSON access-log line per request.

Each app gets its own registry, so tests that build many apps never collide; with several uvicorn
workers each process exposes its own numbers (scrape them per process, or run one worker per pod).
Labels use the route TEMPLATE (`/api/v1/activities/{id}`), never the raw path, so ids cannot blow
up the number of series; unmatched paths share one `<unmatched>` label.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.web.context import current_key_id, current_request_id, track_key_id

ACCESS_LOG = "oia.access"
UNMATCHED = "<unmatched>"
LABELS = ("method", "route", "status")


class PoolCollector(Collector):
    """Connections of the app's SQLAlchemy pool, read at scrape time (nothing to keep in sync)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine = getattr(self.app.state, "engine", None)
        pool = getattr(engine, "pool", None)
        if pool is None or not hasattr(pool, "checkedout"):
            return
        in_use = GaugeMetricFamily("oia_db_pool_connections_in_use", "Pool connections checked out now")
        in_use.add_metric([], pool.checkedout())
        yield in_use
        size = GaugeMetricFamily("oia_db_pool_size", "Connections the pool keeps open at most")
        size.add_metric([], pool.size())
        yield size


class Metrics:
    """The per-app registry and the two request series."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("oia_http_requests", "HTTP requests answered", LABELS, registry=self.registry)
        self.latency = Histogram(
            "oia_http_request_duration_seconds",
            "Time to answer an HTTP request",
            LABELS,
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(PoolCollector(app))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)


def route_template(scope: Scope, routes: list[BaseRoute]) -> str:
    """The full path template of the route that answered, or `<unmatched>`.

    FastAPI puts the matched APIRoute in scope["route"] with its path relative to its router; its
    last segments are the raw path's last segments, and the router prefixes before them are static.
    Plain Starlette routes and mounts at the top level are found through scope["endpoint"].
    """
    route = scope.get("route")
    relative = getattr(route, "path_format", None)
    if relative:
        depth = relative.count("/")
        prefix = "/".join(scope["path"].split("/")[:-depth]) if depth else scope["path"]
        return prefix + relative
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in routes:
            if (
                getattr(candidate, "endpoint", None) is endpoint
                or getattr(candidate, "app", None) is endpoint
            ):
                return str(getattr(candidate, "path_format", UNMATCHED))
    return UNMATCHED


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def access_logger() -> logging.Logger:
    """`oia.access`, writing JSON lines to stdout unless someone configured it already."""
    logger = logging.getLogger(ACCESS_LOG)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class ObservabilityMiddleware:
    """Times every HTTP request, counts it by route template, and logs it as one JSON line.

    Sits inside RequestContextMiddleware, so the request id is already known. Headers are never
    logged: the Authorization header cannot leak through here.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes  # the app's live top-level route list (routers are added later)
        self.log = access_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        track_key_id()
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.finish(scope, status, time.perf_counter() - started)

    def finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope, self.routes)
        self.metrics.observe(scope["method"], route, status, seconds)
        fields = {
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "request_id": current_request_id(),
            "key_id": current_key_id(),
        }
        self.log.info("request", extra={"fields": fields})


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text exposition: request counts and latency by route template, DB pool in use."""
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install_observability(app: FastAPI) -> None:
    """Add /metrics and the timing/logging middleware (call before RequestContextMiddleware)."""
    metrics = Metrics(app)
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, routes=app.router.routes)
    app.add_api_route(
        "/metrics",
        metrics_endpoint,
        methods=["GET"],
        tags=["health"],
        operation_id="get_metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
