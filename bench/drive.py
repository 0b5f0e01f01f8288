"""Load drivers: wrk with bench/lua/bench.lua when installed, else the asyncio closed loop of
bench.client. Both return the same summary dict (requests, duration_us, errors, p50/p90/p99 in us).

Every scenario runs twice: `warmup` seconds unmeasured, then `seconds` measured; `around` (a context
manager factory) wraps only the measured phase, e.g. to read CPU counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import Connection, Step, closed_loop
from bench.common import ROOT

LUA = ROOT / "bench" / "lua" / "bench.lua"
Around = Callable[[], AbstractContextManager[Any]]


@dataclass
class Load:
    seconds: float
    warmup: float
    connections: int = 16
    threads: int = 2

    @property
    def wrk(self) -> str | None:
        return shutil.which("wrk")


def _wrk(port: int, load: Load, seconds: float, args: list[str]) -> dict[str, Any]:
    threads = min(load.threads, load.connections)
    command = ["wrk", f"-t{threads}", f"-c{load.connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "30s", "-s", str(LUA), f"http://127.0.0.1:{port}", "--", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return {**json.loads(out.strip().splitlines()[-1]), "driver": "wrk"}


def _python(port: int, load: Load, seconds: float, step: Step) -> dict[str, Any]:
    result = asyncio.run(closed_loop("127.0.0.1", port, load.connections, seconds, step))
    return {**result.summary(), "driver": "python"}


def _phases(phase: Callable[[float], dict[str, Any]], load: Load, around: Around | None) -> dict[str, Any]:
    if load.warmup:
        phase(load.warmup)
    with (around or contextlib.nullcontext)():
        return phase(load.seconds)


def run_paths(
    port: int, load: Load, key: str, paths_file: Path, around: Around | None = None
) -> dict[str, Any]:
    """GET random lines of `paths_file`."""
    if load.wrk:
        return _phases(lambda s: _wrk(port, load, s, ["paths", key, str(paths_file)]), load, around)
    paths = [p for p in paths_file.read_text().splitlines() if p]
    headers = {"Authorization": f"Bearer {key}"}

    async def step(conn: Connection, _: int) -> int:
        return (await conn.request("GET", random.choice(paths), headers)).status

    return _phases(lambda s: _python(port, load, s, step), load, around)


def run_post(
    port: int, load: Load, key: str, body_file: Path, run_id: str, around: Around | None = None
) -> dict[str, Any]:
    """POST the body template with a unique identifier per request."""
    if load.wrk:
        runs = iter(range(10))
        return _phases(
            lambda s: _wrk(port, load, s, ["post", key, str(body_file), f"{run_id}p{next(runs)}"]),
            load,
            around,
        )
    template = body_file.read_text()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    counter = iter(range(10**9))

    async def step(conn: Connection, user: int) -> int:
        body = template.replace("__IDENTIFIER__", f"BENCH-W-{run_id}-{user}-{next(counter)}").encode()
        return (await conn.request("POST", "/api/v1/activities", headers, body)).status

    return _phases(lambda s: _python(port, load, s, step), load, around)


def run_patch(
    port: int, load: Load, key: str, ids: list[str], around: Around | None = None
) -> dict[str, Any]:
    """Each connection PATCHes its own activity with If-Match, carrying the ETag from answer to answer."""
    auth = {"Authorization": f"Bearer {key}"}
    etags: dict[int, str] = {}

    async def step(conn: Connection, user: int) -> int:
        path = f"/api/v1/activities/{ids[user]}"
        if user not in etags:
            etags[user] = (await conn.request("GET", path, auth)).headers.get("etag", '"0"')
        body = json.dumps({"title": f"Patched by connection {user}", "tags": [f"n{random.randrange(1000)}"]})
        headers = {**auth, "If-Match": etags[user], "Content-Type": "application/merge-patch+json"}
        answer = await conn.request("PATCH", path, headers, body.encode())
        if answer.status == 200:
            etags[user] = answer.headers["etag"]
        else:
            etags.pop(user, None)  # re-read on the next step
        return answer.status

    return _phases(lambda s: _python(port, load, s, step), load, around)


def follow_cursor(port: int, key: str, path: str, pages: int) -> tuple[int, str]:
    """Walk `pages` pages of a collection (or to its end); return (page number, path of that page)."""
    from urllib.parse import quote

    async def walk() -> tuple[int, str]:
        conn = Connection("127.0.0.1", port)
        auth = {"Authorization": f"Bearer {key}"}
        current, page = path, 1
        try:
            while page < pages:
                answer = await conn.request("GET", current, auth)
                cursor = json.loads(answer.body).get("next_cursor")
                if answer.status != 200 or not cursor:
                    break
                current, page = f"{path}&cursor={quote(cursor)}", page + 1
        finally:
            await conn.close()
        return page, current

    return asyncio.run(walk())


def dashboard_cookie(port: int, key: str) -> str:
    """Sign in to the dashboard with the bench key, as a browser would; the session cookie's header."""
    form = urllib.parse.urlencode({"key": key}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/dashboard/login", data=form, method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as answer:  # the 303 after a sign-in
        cookie = answer.headers.get("set-cookie", "")
        return cookie.split(";", 1)[0]
    raise RuntimeError("dashboard sign-in did not redirect")


def run_page(
    port: int, load: Load, cookie: str, paths_file: Path, around: Around | None = None
) -> dict[str, Any]:
    """GET dashboard pages (HTML) with a signed-in session: the python driver, since wrk's script
    sends the API key header only."""
    paths = [p for p in paths_file.read_text().splitlines() if p]
    headers = {"Cookie": cookie}

    async def step(conn: Connection, _: int) -> int:
        status = (await conn.request("GET", random.choice(paths), headers)).status
        # A page is 200; a redirect here is the sign-in page (a session refused), so an error.
        return status if status == 200 else 599

    return _phases(lambda s: _python(port, load, s, step), load, around)
