"""Docs that work offline, and an OpenAPI document that is valid 3.1 and complete."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.support.database import ROOT

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
SPEC_URL = re.compile(r"""(?:url:\s*|spec-url=)["']([^"']+)["']""")
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
# Inline links and images `[text](target "title")`, and reference definitions `[name]: target`.
MD_LINK = re.compile(
    r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$", re.M
)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.M | re.S)


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", CODE.sub("", markdown), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_in_the_docs_resolves_inside_the_repository() -> None:
    """README.md and every other committed Markdown file: links to files that exist here, anchors
    to headings that exist; nothing that only works on one developer's machine."""
    files = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "README.md" in files
    broken = []
    for name in files:
        path = ROOT / name
        text = CODE.sub("", path.read_text())  # code is not a link, even when it looks like one
        for match in MD_LINK.finditer(text):
            target = match.group(1) or match.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # http:, https:, mailto:: not a file here
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.is_relative_to(ROOT) or not linked.exists():
                broken.append(f"{name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
                broken.append(f"{name}: {target} (no such heading)")
    assert broken == []


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_use_only_local_assets(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert not re.search(r"https?://", html), "a CDN or other absolute URL in the page"
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets)
    for url in assets + SPEC_URL.findall(html):
        assert url.startswith("/"), url
        fetched = await client.get(url)
        assert fetched.status_code == 200, url
        assert len(fetched.content) > 100, url


async def test_swagger_ui_makes_no_calls_out(client: httpx.AsyncClient) -> None:
    """Swagger UI's validator badge would fetch validator.swagger.io; it is off."""
    assert '"validatorUrl": null' in (await client.get("/docs")).text


async def test_docs_pages_are_not_in_the_api_document(spec: dict[str, Any]) -> None:
    assert not {"/docs", "/redoc"} & set(spec["paths"])
    assert not any(path.startswith("/docs-assets") for path in spec["paths"])


async def test_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    try:
        validate(spec)
    except OpenAPIValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"invalid OpenAPI 3.1: {exc}")


async def test_every_operation_has_summary_description_and_clean_id(spec: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}: {field}"
        for path, method, op in operations(spec)
        for field in ("summary", "description", "operationId", "tags")
        if not op.get(field)
    ]
    assert missing == []
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) and "_api_v1_" not in i for i in ids), ids


async def test_api_operations_document_their_errors_as_problem_json(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        if not path.startswith("/api/v1/"):
            continue
        responses = op["responses"]
        assert "401" in responses, f"{method.upper()} {path} does not document 401"
        assert "422" in responses or not (op.get("parameters") or op.get("requestBody")), (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (method, path, status)


async def test_request_bodies_carry_examples(spec: dict[str, Any]) -> None:
    """Every JSON request body's schema has an example, on the model or on its fields."""
    schemas = spec["components"]["schemas"]
    lacking = []
    for path, method, op in operations(spec):
        content = op.get("requestBody", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref")
        if ref is None:
            continue
        schema = schemas[ref.rsplit("/", 1)[1]]
        has_field_examples = any(
            "examples" in p or "example" in p for p in schema.get("properties", {}).values()
        )
        if not ("examples" in schema or "example" in schema or has_field_examples):
            lacking.append(f"{method.upper()} {path} ({ref.rsplit('/', 1)[1]})")
    assert lacking == []
