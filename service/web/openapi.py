"""The OpenAPI document tells the truth about errors: every 4xx/5xx is problem+json.

FastAPI keeps advertising its own `HTTPValidationError` for 422 even with a custom handler
(fastapi#3650); this rewrites every error response to the Problem schema that is really sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from service.errors import FieldError, Problem
from service.replication.docs import document_consistency_token

# Declared on every /api operation. The header is read in service.auth directly, not through
# fastapi.security.HTTPBearer, which is one more dependency to solve on every request.
SECURITY_SCHEME = {
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key made with `oia keys create`, or (when the server has OIDC_ISSUER) an "
        "access token (JWT) from the agency's identity provider",
    }
}

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def operation_id(route: APIRoute) -> str:
    """Readable operation ids (`list_activities`), so generated clients read well."""
    return route.name


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components["Problem"].pop("$defs", None)
    components["FieldError"] = FieldError.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    schema["components"]["securitySchemes"] = SECURITY_SCHEME
    for route, path in schema.get("paths", {}).items():
        for operation in path.values():
            if route.startswith("/api/"):  # every /api call needs a key (service.auth)
                operation["security"] = [{name: []} for name in SECURITY_SCHEME]
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
    document_consistency_token(schema)
    app.openapi_schema = schema
    return schema
