"""A Python client generated from the live server's /openapi.json (openapi-python-client) builds,
imports, and works against a real server: create, read, list, update and archive an activity."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer, live_server

PACKAGE = "oia_registry_generated_client"
# openapi-python-client has no body type for NDJSON or CSV; a consumer maps them to raw bytes.
# The bulk import endpoints are the only ones that need it (see test_only_bulk_bodies_need_a_mapping).
CONFIG = """content_type_overrides:
  application/x-ndjson: application/octet-stream
  text/csv: application/octet-stream
"""


def generate(spec: Path, out: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("openapi-python-client")),
        "generate",
        "--path",
        str(spec),
        "--meta",
        "none",
        "--output-path",
        str(out),
    ]
    if config is not None:
        command += ["--config", str(config), "--fail-on-warning"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=out.parent)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("client-server")) as server:
        yield server


@pytest.fixture(scope="module")
def spec_file(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "openapi.json"
    path.write_bytes(httpx.get(f"{live.base_url}/openapi.json").content)
    return path


@pytest.fixture(scope="module")
def client_package(spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.yaml"
    config.write_text(CONFIG)
    result = generate(spec_file, root / PACKAGE, config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_only_bulk_bodies_need_a_mapping(spec_file: Path, tmp_path: Path) -> None:
    """Without the content-type mapping, the generator's only complaints are the import endpoints'
    NDJSON/CSV bodies: nothing else in our document trips it up."""
    result = generate(spec_file, tmp_path / "plain_client")
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    endpoints = re.findall(r"WARNING parsing (\w+) (\S+) within", output)
    assert endpoints and all(m == "POST" and p.endswith("/import") for m, p in endpoints), output
    problems = {line for line in output.splitlines() if line.startswith("Unsupported")}
    assert problems <= {"Unsupported content type application/x-ndjson", "Unsupported content type text/csv"}


def api(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.activities.{name}")


def test_generated_client_lists_and_round_trips_an_activity(
    client_package: ModuleType, live: LiveServer
) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    client = client_package.AuthenticatedClient(base_url=live.base_url, token=live.key)
    body = models.ActivityCreate.from_dict(
        {
            "identifier": "GEN-CLIENT-1",
            "title": "Made by a generated client",
            "activity_type": "policy_dialogue",
            "lead_component": "ICE",
            "countries": ["NL"],
        }
    )
    created = api(client_package, "create_activity").sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    activity = created.parsed
    assert isinstance(activity, models.ActivityRead) and activity.identifier == "GEN-CLIENT-1"

    page = api(client_package, "list_activities").sync(client=client, country=["NL"], limit=10)
    assert isinstance(page, models.PageActivityRead)
    assert [a.identifier for a in page.items] == ["GEN-CLIENT-1"]

    got = api(client_package, "get_activity").sync_detailed(activity.id, client=client)
    assert got.status_code == 200 and got.headers["etag"] == '"1"'

    patch = models.ActivityPatch.from_dict({"status": "active"})
    updated = api(client_package, "update_activity").sync(
        activity.id, client=client, body=patch, if_match='"1"'
    )
    assert isinstance(updated, models.ActivityRead) and updated.version == 2
    assert updated.status.value == "active"

    archived = api(client_package, "archive_activity").sync_detailed(
        activity.id, client=client, if_match='"2"'
    )
    assert archived.status_code == 204


def test_generated_client_surfaces_problems(client_package: ModuleType, live: LiveServer) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = client_package.AuthenticatedClient(base_url=live.base_url, token="oia_wrong")
    refused = api(client_package, "list_activities").sync(client=anonymous)
    assert isinstance(refused, models.Problem) and refused.status == 401
