"""OIA-Consistency-Token on a single server (no replicas configured, the default): every successful
write answers with it, reads accept it (and refuse a garbled one with 400), /health/ready lists the
primary alone, and the OpenAPI document declares the header on every write and every read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from service.replication.asgi import HEADER
from service.replication.token import decode_token
from tests.factories import activity
from tests.support.database import fresh_database_async
from tests.support.replica_app import make_keys, running_app

API = "/api/v1/activities"


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with fresh_database_async("oia_token") as url:
        headers = (await make_keys(url))["admin"]
        async with running_app(url) as client:
            yield client, headers


async def test_every_write_answers_a_token_and_reads_take_it(
    served: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, admin = served
    made = await client.post(API, json=activity(), headers=admin)
    assert made.status_code == 201 and decode_token(made.headers[HEADER]) > 0
    record = f"{API}/{made.json()['id']}"
    patched = await client.patch(
        record, json={"title": "t2"}, headers={**admin, "If-Match": made.headers["ETag"]}
    )
    assert patched.status_code == 200 and decode_token(patched.headers[HEADER]) >= decode_token(
        made.headers[HEADER]
    )
    line = activity()
    imported = await client.post(
        f"{API}/import", content=f'{{"identifier": "{line["identifier"]}", "title": "x", "activity_type": '
        f'"cargo_prescreening", "status": "active", "lead_component": "CBP", "countries": ["MX"]}}\n',
        headers={**admin, "Content-Type": "application/x-ndjson"},
    )  # fmt: skip
    assert imported.status_code in (200, 201), imported.text
    assert HEADER in imported.headers
    archived = await client.delete(record, headers={**admin, "If-Match": patched.headers["ETag"]})
    assert archived.status_code == 204 and HEADER in archived.headers
    # A refused write carries none: nothing was written.
    refused = await client.post(API, json={"title": 1}, headers=admin)
    assert refused.status_code == 422 and HEADER not in refused.headers

    read = await client.get(record, headers={**admin, HEADER: archived.headers[HEADER]})
    assert read.status_code == 200 and read.json()["version"] == 3 and HEADER not in read.headers
    listed = await client.get(API, headers={**admin, HEADER: archived.headers[HEADER]})
    assert listed.status_code == 200
    for bad in ("nonsense", archived.headers[HEADER][:-1], "c1.AAAAAAAAAAAAAAAA"):
        garbled = await client.get(record, headers={**admin, HEADER: bad})
        assert garbled.status_code == 400, garbled.text
        assert garbled.headers["content-type"].startswith("application/problem+json")
        assert HEADER in garbled.json()["detail"]
    # Who is asking comes first: without a key a garbled token is still a 401.
    for path in (record, API, "/api/v1/footprint"):
        stranger = await client.get(path, headers={HEADER: "nonsense"})
        assert stranger.status_code == 401, (path, stranger.text)


async def test_health_ready_lists_the_primary_alone(served: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, _ = served
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    nodes = ready.json()["replication"]
    assert [(n["configured_as"], n["role"], n["reachable"]) for n in nodes] == [("primary", "primary", True)]


async def test_openapi_declares_the_header(served: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, _ = served
    schema: dict[str, Any] = (await client.get("/openapi.json")).json()
    writes = reads = 0
    for route, path in schema["paths"].items():
        if not route.startswith("/api/"):
            continue
        for method, operation in path.items():
            if method in ("post", "put", "patch", "delete"):
                ok = [r for s, r in operation["responses"].items() if s.startswith("2")]
                assert ok and all(HEADER in r.get("headers", {}) for r in ok), (method, route)
                writes += 1
            elif method == "get":
                assert HEADER in [p["name"] for p in operation["parameters"]], route
                assert "400" in operation["responses"] or route == "/api/v1", route
                reads += 1
    assert writes > 20 and reads > 30
