"""Where a worker's time goes during a scenario: py-spy (from PyPI, run with uvx) samples one uvicorn
worker while wrk loads both; the collapsed stacks are summarised as the functions with the most
samples, inclusive (anywhere on the stack) and self (at the top of the stack)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from bench.drive import Load, run_paths
from bench.servers import Server


def _frame(text: str) -> str:
    """`func (path/to/file.py:12)` -> `func (file.py)` so lines of one function add up."""
    name, _, where = text.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name


def summarise(collapsed: str, top: int = 15) -> dict[str, Any]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_frame(f) for f in stack.split(";")]
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames[1:]):  # the first frame is the process/thread name
            inclusive[frame] += samples
    pct = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "self": [(f, pct(n)) for f, n in own.most_common(top)],
        "inclusive": [(f, pct(n)) for f, n in inclusive.most_common(top * 2)],
    }


def profile_scenario(server: Server, load: Load, key: str, paths: Path, out: Path) -> dict[str, Any]:
    """Run the scenario again under py-spy (one worker sampled, `--idle` off: CPU time only)."""
    uvx = shutil.which("uvx")
    uv = shutil.which("uv")
    if uvx is None and uv is None:
        return {"error": "neither uvx nor uv found"}
    tool = [uvx] if uvx is not None else [str(uv), "tool", "run"]  # `uv tool run` is what uvx is
    pid = server.workers[0]
    seconds = max(2, round(load.seconds))
    command = [*tool, "py-spy", "record", "-p", str(pid), "-d", str(seconds), "-r", "250", "-f", "raw"]
    command += ["--nonblocking", "-o", str(out)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    measured = Load(seconds, 0, load.connections, load.threads)
    thread = threading.Thread(target=run_paths, args=(server.port, measured, key, paths))
    thread.start()
    _, err = spy.communicate(timeout=seconds + 120)
    thread.join()
    if not out.exists():
        return {"error": err.decode(errors="replace")[-500:]}
    return summarise(out.read_text())
