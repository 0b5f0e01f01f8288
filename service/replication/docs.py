"""The consistency token in the OpenAPI document: a response header on every write, a request
header on every read of /api (the middleware and the read dependency do the work, not the routes)."""

from __future__ import annotations

from typing import Any

from service.replication.asgi import HEADER

_WRITES = ("post", "put", "patch", "delete")

RESPONSE_HEADER = {
    "description": "Opaque: the database position of this write. Send it back on a read "
    f"(`{HEADER}` request header) to be answered with data at least this new.",
    "schema": {"type": "string", "example": "c1.AAAAFrN02EjzABRR"},
}

REQUEST_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A token a write answered with: the read then sees that write (served by a replica "
    "that has replayed it, or by the primary). Without it a read may come from a read replica up to "
    "REPLICA_MAX_LAG_SECONDS behind. Anything but a token this service issued is a 400.",
    "schema": {"type": "string"},
}


BAD_TOKEN = {
    "description": f"Bad Request: e.g. an `{HEADER}` this service did not issue",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def document_consistency_token(schema: dict[str, Any]) -> None:
    """Add the header to every /api operation, in place."""
    for route, path in schema.get("paths", {}).items():
        if not route.startswith("/api/"):
            continue
        for method, operation in path.items():
            if method in _WRITES:
                for status, response in operation.get("responses", {}).items():
                    if status.startswith("2"):
                        response.setdefault("headers", {})[HEADER] = RESPONSE_HEADER
            elif method == "get":
                parameters = operation.setdefault("parameters", [])
                if all(p.get("name") != HEADER for p in parameters):
                    parameters.append(REQUEST_PARAMETER)
                # Every read may meet a garbled token, whatever else the route declares.
                operation.setdefault("responses", {}).setdefault("400", BAD_TOKEN)
