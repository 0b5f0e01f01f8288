"""The smoke test that compose and CI run, run here against a real `oia serve` on a real socket."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.ops.smoke import RESOURCES, run_smoke
from tests.live_server import LiveServer, free_port, live_server, oia_command
from tests.support.database import ROOT


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("smoke")) as server:
        yield server


def offered(server: LiveServer) -> set[str]:
    paths = httpx.get(f"{server.base_url}/openapi.json").json()["paths"]
    return {r.collection for r in RESOURCES if f"/api/v1/{r.collection}" in paths}


def test_smoke_passes_against_a_live_server(live: LiveServer) -> None:
    lines: list[str] = []
    assert run_smoke(live.base_url, live.key, out=lines.append) == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert lines[-1].startswith("passed: ")
    assert not any(line.startswith("FAIL") for line in lines)
    for resource in RESOURCES:
        if resource.collection in offered(live):
            for verb in ("create", "read", "update", "archive"):
                assert f"ok    {verb} {resource.singular}" in text, (verb, resource.singular, text)
            assert f"ok    list {resource.collection} shows it" in text
        else:
            assert f"skip  {resource.collection}: not in this server's /openapi.json" in text
    assert "ok    PUT an activity by its identifier (new) (201" in text
    assert "ok    an identical PUT keeps the version" in text


def test_smoke_twice_does_not_collide(live: LiveServer) -> None:
    """Fresh SMOKE- identifiers each run: a rerun against the same database passes too."""
    lines: list[str] = []
    assert run_smoke(live.base_url, live.key, out=lines.append) == 0, "\n".join(lines)


def test_scripts_smoke_runs_the_cli_and_exits_zero(live: LiveServer) -> None:
    env = {**os.environ, "PATH": f"{Path(oia_command()[0]).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(ROOT / "scripts" / "smoke"), "--base-url", live.base_url, "--key", live.key],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    create activity" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("passed: ")
    assert live.key not in result.stdout + result.stderr


def test_a_wrong_key_fails_at_once_with_a_clear_message(live: LiveServer) -> None:
    lines: list[str] = []
    assert run_smoke(live.base_url, "oia_not-a-real-key", out=lines.append) == 1
    assert lines[-1].startswith("FAIL  the key is accepted: expected 200, got 401")
    assert not any("create" in line for line in lines)


def test_an_unreachable_server_fails_with_a_clear_message() -> None:
    lines: list[str] = []
    assert run_smoke(f"http://127.0.0.1:{free_port()}", "oia_x", out=lines.append, timeout=2) == 1
    assert lines[-1].startswith("FAIL  GET /health/ready: no answer from http://127.0.0.1:")


def test_cli_without_a_key_exits_2() -> None:
    result = CliRunner().invoke(
        cli, ["smoke", "--base-url", "http://127.0.0.1:9"], env={"OIA_SMOKE_KEY": None}
    )
    assert result.exit_code == 2
    assert "--key (or OIA_SMOKE_KEY) is empty" in result.output
