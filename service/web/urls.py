"""Absolute URLs the service hands out (`Location`, `Link`), built from PUBLIC_BASE_URL, never from `Host`.

A client controls the `Host` header, so a URL built from it can point anywhere, and a stored
idempotent response would replay that forged URL to the honest retry. Unset, PUBLIC_BASE_URL falls
back to the address the connection actually reached (the socket's own, from the server), which a
client cannot choose.
"""

from __future__ import annotations

from starlette.requests import Request

from service.config import Settings, get_settings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def public_base(request: Request) -> str:
    """`https://registry.example.gov` or, unset, `http://<local address>:<port>` (no trailing slash)."""
    settings: Settings = getattr(request.app.state, "settings", None) or get_settings()
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    scheme = request.scope.get("scheme", "http")
    server = request.scope.get("server")
    if not server:
        return ""  # no socket address (a unix socket): a path-only URL is still correct
    host, port = server[0], server[1]
    if ":" in host:
        host = f"[{host}]"
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def public_url(request: Request, path: str, query: str = "") -> str:
    """`path` (and `query`) under the public base."""
    return public_base(request) + path + (f"?{query}" if query else "")


def this_url_with(request: Request, **params: str) -> str:
    """The current request's public URL with some query parameters replaced (for `Link: rel=next`)."""
    return public_url(request, request.url.path, request.url.include_query_params(**params).query)
