"""`GET /` (open: where the docs, the API and the dashboard are) and `GET /api/v1` (with a key: the
API's entry points, read from the routes themselves so the list cannot go stale)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.routing import compile_path

from service.auth import CurrentKey
from service.errors import Problem

UNAUTHORIZED = {
    401: {
        "model": Problem,
        "description": "Missing, unknown or revoked API key",
        "content": {"application/problem+json": {}},
    }
}

LINKS = {
    "docs": ("/docs", "Interactive API documentation (Swagger UI)"),
    "redoc": ("/redoc", "API reference (ReDoc)"),
    "openapi": ("/openapi.json", "OpenAPI description, for generating clients"),
    "api": ("/api/v1", "The API's entry points (needs an API key)"),
    "dashboard": ("/dashboard", "Dashboard pages for people (sign in with an API key)"),
    "health": ("/health/ready", "Readiness: database reachable and schema at head"),
}


class Link(BaseModel):
    href: str
    title: str


class ServiceIndex(BaseModel):
    name: str
    version: str
    links: dict[str, Link]


class ApiIndex(BaseModel):
    links: list[Link]


def _prefix(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _html(index: ServiceIndex) -> str:
    items = "".join(
        f'<li><a href="{escape(link.href)}">{escape(link.href)}</a>: {escape(link.title)}</li>'
        for link in index.links.values()
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(index.name)}</title>'
        f"</head><body><h1>{escape(index.name)} {escape(index.version)}</h1><ul>{items}</ul></body></html>"
    )


def entry_points(app: FastAPI, prefix: str) -> list[Link]:
    """Every GET under the prefix that takes no path parameter (collections and views), read from the
    OpenAPI document (the routes as documented), in its order."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        get = operations.get("get")
        if get and path.startswith(f"{prefix}/") and "{" not in path and not path.endswith("/export"):
            found.append(Link(href=path, title=get.get("summary") or path))
    return found


def install_index(app: FastAPI, prefix: str) -> None:
    """Add `GET /` and `GET {prefix}`; call after every API router is included."""

    @app.get("/", response_model=ServiceIndex, operation_id="get_service_index", tags=["index"])
    async def service_index(request: Request) -> Response:
        """Where things are: docs, OpenAPI, the API, the dashboard, health (HTML for browsers)."""
        base = _prefix(request)
        index = ServiceIndex(
            name=app.title,
            version=app.version,
            links={name: Link(href=base + href, title=title) for name, (href, title) in LINKS.items()},
        )
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(_html(index))
        return JSONResponse(index.model_dump())

    cached: dict[str, Any] = {}

    @app.get(
        prefix, response_model=ApiIndex, responses=UNAUTHORIZED, operation_id="get_api_index", tags=["index"]
    )
    async def api_index(request: Request, _: CurrentKey) -> ApiIndex:
        """The API's collections and views (every GET without a path parameter); /docs has the rest."""
        if "links" not in cached:
            cached["links"] = entry_points(app, prefix)
        base = _prefix(request)
        return ApiIndex(links=[Link(href=base + link.href, title=link.title) for link in cached["links"]])

    # A 405 for another method names GET in Allow (the table is built in main.create_app).
    table = getattr(app.state, "method_table", [])
    table += [(compile_path(path)[0], {"GET"}) for path in ("/", prefix)]
    app.state.method_table = table
