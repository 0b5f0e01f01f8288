"""`make run` on a stock Debian/Ubuntu machine: no uv on PATH and an externally-managed (PEP 668) python3.

The Makefile must bootstrap its own uv without touching the system Python, sync the locked environment
with a system Python >= 3.11, migrate a fresh database and serve. This runs that from a throw-away copy
of the working tree. pip fetches uv from PyPI and uv the locked packages (from its cache when warm):
~8 s on the dev machine both warm and cold (an empty uv cache, no pip cache: ~300 MB unpacked); a slow
link makes the cold run longer. Always runs in CI (CI=true); OIA_SKIP_BOOTSTRAP_TEST=1 skips it elsewhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port, wait_ready
from tests.support.database import ROOT, fresh_database

SYSTEM_PYTHON = Path("/usr/bin/python3")
# Only system directories: no pyenv shims, no ~/.local/bin, no /usr/local/bin (where `pip install uv` lands).
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# What a developer's shell or an outer `uv run` / `make test` leaves behind that would steer the inner run.
STEERING = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION", "UV_PYTHON",
            "UV_PROJECT_ENVIRONMENT", "UV_SYSTEM_PYTHON", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")  # fmt: skip
# Not copied: local state a newcomer's fresh checkout would not have.
LOCAL_STATE = {".git", ".venv", "var", ".pytest_cache", ".ruff_cache", ".mypy_cache", "__pycache__"}


def _why_skip() -> str | None:
    if os.environ.get("OIA_SKIP_BOOTSTRAP_TEST") and os.environ.get("CI", "").lower() not in ("true", "1"):
        return "OIA_SKIP_BOOTSTRAP_TEST is set (CI=true runs it regardless)"
    if not SYSTEM_PYTHON.exists():
        return f"no {SYSTEM_PYTHON}"
    version = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
    )
    if version.stdout.strip() != "True":
        return f"{SYSTEM_PYTHON} is older than 3.11 (uv would have to download a Python)"
    if shutil.which("make") is None:
        return "no make"
    if shutil.which("uv", path=SYSTEM_PATH):
        return f"uv is installed in a system directory ({shutil.which('uv', path=SYSTEM_PATH)})"
    return None


pytestmark = pytest.mark.skipif(_why_skip() is not None, reason=_why_skip() or "")


def _copy_worktree(destination: Path) -> Path:
    """The working tree as a fresh checkout would have it (uncommitted edits included)."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == ROOT
        return {n for n in names if n in LOCAL_STATE and (top or n in {"__pycache__", ".pytest_cache"})}

    return Path(shutil.copytree(ROOT, destination, symlinks=True, ignore=ignore))


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new, empty database (`make run` migrates it); dropped, connections and all, afterwards."""
    with fresh_database("oia_bootstrap", migrated=False) as url:
        yield url


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ends make and everything it started (uv, oia, uvicorn): they share the session made for them."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _uv_importable() -> bool:
    found = subprocess.run([str(SYSTEM_PYTHON), "-c", "import uv"], capture_output=True)
    return found.returncode == 0


def test_make_run_bootstraps_uv_on_an_externally_managed_python(tmp_path: Path, empty_database: str) -> None:
    repo = _copy_worktree(tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(SYSTEM_PYTHON)
    env = {k: v for k, v in os.environ.items() if k not in STEERING}
    env |= {"PATH": f"{bin_dir}:{SYSTEM_PATH}", "DATABASE_URL": empty_database, "PYTHONUNBUFFERED": "1"}
    uv_in_system_python = _uv_importable()
    port = free_port()
    log = tmp_path / "make-run.log"
    with log.open("wb") as sink:
        # Its own session: the cleanup signals make's whole process group, whatever has been started.
        process = subprocess.Popen(
            ["make", "run", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=repo,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url, process, log, seconds=600)
        assert httpx.get(f"{base_url}/health/ready", timeout=5).status_code == 200
    finally:
        _stop(process)

    output = log.read_text(errors="replace")
    assert "No uv on PATH: installing uv==" in output
    private_uv = repo / "var" / "tools" / "bin" / "uv"
    assert private_uv.exists(), output[-3000:]
    assert f"{private_uv} sync --frozen" in output  # every target runs the bootstrapped uv
    assert _uv_importable() == uv_in_system_python  # the system Python is as it was
    # A second bootstrap finds the private uv and installs nothing.
    again = subprocess.run(["make", "bootstrap"], cwd=repo, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "installing" not in again.stdout
