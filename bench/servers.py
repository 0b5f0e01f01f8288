"""Start and stop the servers under test the way production runs them, and watch their memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from bench.common import ROOT, rss_mb, workers

# Production's command line (Dockerfile / `oia serve`): uvicorn, uvloop, httptools, no access log.
UVICORN = ["-m", "uvicorn", "--factory", "--loop", "uvloop", "--http", "httptools", "--no-access-log"]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def workers(self) -> list[int]:
        return workers(self.process.pid)

    def rss(self) -> dict[int, float]:
        return {pid: round(rss_mb(pid), 1) for pid in self.workers}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    name: str,
    app: str,
    port: int,
    database_url: str,
    health: str,
    workers_n: int = 2,
    env: dict[str, str] | None = None,
) -> Server:
    """uvicorn <app> with `workers_n` workers; returns once `health` answers 200 (or raises)."""
    env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    command = [sys.executable, *UVICORN, "--workers", str(workers_n), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", app]
    if not app.startswith("service."):
        command.remove("--factory")
    log = open(ROOT / "bench" / "results" / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(name, port, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see bench/results/{name}.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2) as answer:
                if answer.status == 200 and len(server.workers) >= workers_n:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"{name} did not become healthy on port {port} within 60 s")


@dataclass
class RssSampler:
    """Peak RSS per worker while a scenario runs (sampled every 20 ms in a thread)."""

    server: Server
    baseline: dict[int, float] = field(default_factory=dict)
    peak: dict[int, float] = field(default_factory=dict)

    def __enter__(self) -> RssSampler:
        self.baseline = self.server.rss()
        self.peak = dict(self.baseline)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            for pid in self.baseline:
                self.peak[pid] = max(self.peak[pid], rss_mb(pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        """The largest growth of any one worker over its RSS before the scenario."""
        return round(max((self.peak[p] - self.baseline[p] for p in self.baseline), default=0.0), 1)
