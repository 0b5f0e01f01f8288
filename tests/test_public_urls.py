"""Absolute URLs come from PUBLIC_BASE_URL (or the server's own address), never from `Host`; a chunked
body is stopped at its limit while it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.conftest import Keys
from tests.factories import activity
from tests.support.problems import problem

URL = "/api/v1/activities"


async def test_location_and_link_use_the_public_base(app: Any, client: httpx.AsyncClient, keys: Keys) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"public_base_url": "https://registry.example.gov/"}
    )
    forged = {**keys["admin"], "Host": "evil.example", "Idempotency-Key": "public-base"}
    body = activity()
    first = await client.post(URL, json=body, headers=forged)
    replay = await client.post(URL, json=body, headers=forged)
    assert first.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    expected = f"https://registry.example.gov{URL}/{first.json()['id']}"
    assert first.headers["Location"] == replay.headers["Location"] == expected
    await client.post(URL, json=activity(), headers=keys["admin"])
    page = await client.get(URL, params={"limit": 1}, headers={**keys["reader"], "Host": "evil.example"})
    assert page.headers["Link"].startswith(f"<https://registry.example.gov{URL}?limit=1&cursor=")
    changes = await client.get("/api/v1/changes", params={"limit": 1}, headers=keys["reader"])
    assert changes.headers["Link"].startswith("<https://registry.example.gov/api/v1/changes?")


async def test_without_it_urls_name_the_server_not_the_host_header(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    created = await client.post(URL, json=activity(), headers={**keys["admin"], "Host": "evil.example"})
    assert created.headers["Location"].startswith(f"http://test{URL}/")  # the address it reached


async def test_a_chunked_body_is_stopped_at_the_limit(client: httpx.AsyncClient, keys: Keys) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b" " * 65536  # 2.5 MB of whitespace: over MAX_BODY_BYTES (1 MiB)

    headers = {**keys["admin"], "Content-Type": "application/json"}
    answer = await client.post(URL, content=body(), headers=headers)
    assert "larger than 1048576 bytes" in problem(answer, 413)["detail"]
    stranger = await client.post(URL, content=body(), headers={"Content-Type": "application/json"})
    assert problem(stranger, 401) and stranger.headers["connection"] == "close"
