"""A Python client generated from the live server's /openapi.json (openapi-python-client) by the exact
command README.md documents builds, imports, and works against a real server: create, read, list,
update, archive and import activities."""

from __future__ import annotations

import importlib
import io
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer, live_server
from tests.support.database import ROOT

# The README's command, as documented (its server URL is replaced by the live server's).
COMMAND = next(
    line
    for line in (ROOT / "README.md").read_text().splitlines()
    if line.startswith("uv run openapi-python-client generate ")
)
ARGS = shlex.split(COMMAND)[2:]  # after `uv run`: this test runs the environment's own executable
PACKAGE = ARGS[ARGS.index("--output-path") + 1]
DOCUMENTED_URL = "http://127.0.0.1:8000"


def executable() -> str:
    return str(Path(sys.executable).with_name("openapi-python-client"))


def generate(spec: Path, out: Path) -> subprocess.CompletedProcess[str]:
    command = [executable(), "generate", "--path", str(spec), "--meta", "none", "--output-path", str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=out.parent)


def warned_endpoints(output: str) -> list[tuple[str, str]]:
    return re.findall(r"WARNING parsing (\w+) (\S+) within", output)


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
def readme_generation(
    live: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The README's command, run in a directory that sees the repository's docs/ as a clone does."""
    root = tmp_path_factory.mktemp("generated")
    (root / "docs").symlink_to(ROOT / "docs")
    args = [a.replace(DOCUMENTED_URL, live.base_url) for a in ARGS]
    result = subprocess.run([executable(), *args[1:]], capture_output=True, text=True, timeout=300, cwd=root)
    return root, result


def test_the_readme_command_warns_only_about_csv_bodies(
    readme_generation: tuple[Path, subprocess.CompletedProcess[str]], spec_file: Path
) -> None:
    """The one expected complaint, as README.md says: text/csv, once per import endpoint."""
    _, result = readme_generation
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    imports = {path for path in json.loads(spec_file.read_text())["paths"] if path.endswith("/import")}
    endpoints = warned_endpoints(output)
    assert len(endpoints) == len(imports) and {p for _, p in endpoints} == imports, output
    assert {m for m, _ in endpoints} == {"POST"}
    problems = {line for line in output.splitlines() if line.startswith("Unsupported")}
    assert problems == {"Unsupported content type text/csv"}


@pytest.fixture(scope="module")
def client_package(readme_generation: tuple[Path, subprocess.CompletedProcess[str]]) -> Iterator[ModuleType]:
    root, result = readme_generation
    assert result.returncode == 0, result.stdout + result.stderr
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
    endpoints = warned_endpoints(output)
    assert endpoints and all(m == "POST" and p.endswith("/import") for m, p in endpoints), output
    problems = {line for line in output.splitlines() if line.startswith("Unsupported")}
    assert problems <= {"Unsupported content type application/x-ndjson", "Unsupported content type text/csv"}


def api(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.activities.{name}")


def test_generated_client_imports_ndjson(client_package: ModuleType, live: LiveServer) -> None:
    """Every collection has its import function; the activities one sends NDJSON and it lands."""
    for module in (
        "activities.import_activities",
        "postings.import_postings",
        "recommendations.import_recommendations",
    ):
        assert callable(importlib.import_module(f"{PACKAGE}.api.{module}").sync)
    reference = importlib.import_module(f"{PACKAGE}.api.reference_data")
    assert {"import_posts", "import_components", "import_strategic_goals"} <= {
        p.stem for p in Path(reference.__file__).parent.glob("import_*.py")
    }
    types = importlib.import_module(f"{PACKAGE}.types")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = client_package.AuthenticatedClient(base_url=live.base_url, token=live.key)
    rows = [
        {"identifier": f"GEN-IMPORT-{n}", "title": f"Imported by a generated client {n}",
         "activity_type": "information_sharing", "lead_component": "CBP", "countries": ["BE"]}
        for n in (1, 2)
    ]  # fmt: skip
    ndjson = "".join(json.dumps(row) + "\n" for row in rows).encode()
    result = api(client_package, "import_activities").sync(
        client=client, body=types.File(payload=io.BytesIO(ndjson))
    )
    assert isinstance(result, models.ImportResult) and result.imported == 2, result
    page = api(client_package, "list_activities").sync(client=client, country=["BE"], limit=10)
    assert sorted(a.identifier for a in page.items) == ["GEN-IMPORT-1", "GEN-IMPORT-2"]


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
