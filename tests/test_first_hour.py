"""What a newcomer met in the first hour (issue 12), fixed: messages that say what to do, and the
small surprises (a bare `GET /`, a quiet CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx

from service.config import Settings
from service.ops.import_export import how_to_start_empty
from tests.conftest import Keys
from tests.factories import activity, recommendation
from tests.support.database import ROOT
from tests.support.problems import problem


async def edited(client: httpx.AsyncClient, keys: Keys, times: int) -> tuple[str, dict[str, str]]:
    """An activity at version 1 + times, its URL, and its editor's headers."""
    created = await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])
    assert created.status_code == 201, created.text
    url = f"/api/v1/activities/{created.json()['id']}"
    for version in range(1, times + 1):
        headers = {**keys["cbp"], "If-Match": f'"{version}"'}
        assert (
            await client.patch(url, json={"title": f"Edit {version}"}, headers=headers)
        ).status_code == 200
    return url, keys["cbp"]


async def test_428_names_the_records_current_etag(client: httpx.AsyncClient, keys: Keys) -> None:
    url, headers = await edited(client, keys, times=2)
    for response in (
        await client.patch(url, json={"title": "x"}, headers=headers),
        await client.delete(url, headers=headers),
    ):
        body = problem(response, 428)
        assert body["current_etag"] == '"3"' and 'If-Match: "3"' in body["detail"], body
    # Only a caller allowed to write learns it: 403 and 404 come first.
    problem(await client.patch(url, json={"title": "x"}, headers=keys["ice"]), 403)
    problem(await client.patch(url[:-4] + "0000", json={"title": "x"}, headers=headers), 404)


async def test_an_unquoted_version_is_read_as_its_etag(client: httpx.AsyncClient, keys: Keys) -> None:
    """`If-Match: 1` on an unchanged record is not "the record has changed": it is accepted."""
    url, headers = await edited(client, keys, times=0)
    ok = await client.patch(url, json={"title": "Bare"}, headers={**headers, "If-Match": "1"})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"', ok.text
    assert (await client.get(url, headers={**headers, "If-None-Match": "2"})).status_code == 304


async def test_every_412_says_what_is_wrong(client: httpx.AsyncClient, keys: Keys) -> None:
    url, headers = await edited(client, keys, times=2)  # now at "3"
    cases: list[tuple[str, str]] = [
        ('"1"', 'The record has changed: its ETag is now "3"'),
        ("2", 'The record has changed: its ETag is now "3"'),
        ('"9"', 'If-Match "9" is not a version of this record: its ETag is "3"'),
        ('W/"3"', 'W/"3" is weak and never matches'),
        ("three", "'three' is not an ETag"),
    ]
    for sent, says in cases:
        response = await client.patch(url, json={"title": "x"}, headers={**headers, "If-Match": sent})
        body = problem(response, 412)
        assert says in body["detail"] and body["current_etag"] == '"3"', (sent, body)
    assert (await client.get(url, headers=headers)).json()["version"] == 3  # nothing was written


async def test_lower_case_country_codes_say_use_upper_case(client: httpx.AsyncClient, keys: Keys) -> None:
    """One rule wherever a country code is taken: 422, naming the upper-case code."""
    reader, admin = keys["reader"], keys["admin"]
    partner = {"name": "Aduanas", "country": "gt", "partner_type": "customs"}
    responses: list[tuple[httpx.Response, list[Any]]] = [
        (await client.get("/api/v1/countries/mx", headers=reader), ["path", "code"])
    ]
    for collection in ("activities", "footprint", "coordination/overlaps"):
        listed = await client.get(f"/api/v1/{collection}", params={"country": "mx"}, headers=reader)
        responses.append((listed, ["query", "country", 0]))
    responses.append(
        (
            await client.post("/api/v1/activities", json=activity(countries=["mx"]), headers=admin),
            ["body", "countries", 0],
        )
    )
    responses.append(
        (
            await client.post("/api/v1/activities", json=activity(foreign_partners=[partner]), headers=admin),
            ["body", "foreign_partners", 0, "country"],
        )
    )
    for response, loc in responses:
        body = problem(response, 422)
        code = "GT" if "foreign_partners" in loc else "MX"
        assert body["errors"][0]["loc"] == loc and f"use upper case: {code}" in body["detail"], body


async def test_patching_a_recommendations_status_points_to_updates(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = keys["admin"]
    created = await client.post("/api/v1/recommendations", json=recommendation(), headers=admin)
    url = f"/api/v1/recommendations/{created.json()['id']}"
    for field in ("status", "closed_on"):
        value = "closed_implemented" if field == "status" else "2024-01-01"
        response = await client.patch(url, json={field: value}, headers={**admin, "If-Match": '"1"'})
        body = problem(response, 422)
        assert body["errors"][0]["loc"] == ["body", field], body
        assert "POST /api/v1/recommendations/{id}/updates" in body["detail"], body
        assert "Extra inputs" not in body["detail"]
    body = problem(
        await client.post(
            "/api/v1/recommendations", json=recommendation(status="open_resolved"), headers=admin
        ),
        422,
    )
    assert "status changes only through POST /api/v1/recommendations/{id}/updates" in body["detail"]
    # Other unknown fields are still plainly unknown.
    other = await client.patch(url, json={"colour": "red"}, headers={**admin, "If-Match": '"1"'})
    assert problem(other, 422)["errors"][0]["msg"] == "Extra inputs are not permitted"


async def test_the_root_says_where_things_are(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    links = {name: link["href"] for name, link in response.json()["links"].items()}
    assert links == {
        "docs": "/docs",
        "redoc": "/redoc",
        "openapi": "/openapi.json",
        "api": "/api/v1",
        "dashboard": "/dashboard",
        "health": "/health/ready",
    }
    for href in links.values():  # each of them answers (the API and the dashboard ask for a key)
        assert (await client.get(href)).status_code in (200, 303, 401), href
    page = await client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.headers["content-type"].startswith("text/html") and '<a href="/docs">' in page.text


async def test_the_api_root_lists_its_collections_and_views(client: httpx.AsyncClient, keys: Keys) -> None:
    problem(await client.get("/api/v1"), 401)
    response = await client.get("/api/v1", headers=keys["reader"])
    assert response.status_code == 200, response.text
    hrefs = [link["href"] for link in response.json()["links"]]
    for path in ("activities", "postings", "recommendations", "posts", "components", "strategic-goals"):
        assert f"/api/v1/{path}" in hrefs
    for path in ("footprint", "coordination/overlaps", "recommendations/summary", "changes"):
        assert f"/api/v1/{path}" in hrefs
    assert all("{" not in h and not h.endswith("/export") for h in hrefs)
    for href in hrefs:
        assert (await client.get(href, headers=keys["reader"])).status_code == 200, href
    refused = await client.post("/api/v1", headers=keys["reader"])
    assert refused.status_code == 405 and refused.headers["allow"] == "GET"


def test_the_demo_refusal_says_how_to_start_empty() -> None:
    embedded = how_to_start_empty(Settings(database_url=None, embedded_pg_dir="var/pg"))
    assert "rm -rf var/pg" in embedded and "uv run oia migrate" in embedded and "DATABASE_URL" in embedded
    server = how_to_start_empty(Settings(database_url="postgresql://db.example/oia"))
    assert "DATABASE_URL" in server and "new, empty database" in server and "rm -rf" not in server


def test_no_runtime_dir_warning_from_the_embedded_server_import() -> None:
    """pgserver asks platformdirs for XDG_RUNTIME_DIR at import; unset, platformdirs warns on every
    `oia` command. The warning is silenced for that import only (and it really does warn without)."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}

    def stderr_of(code: str) -> str:
        run = subprocess.run(
            [sys.executable, "-W", "default", "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stderr

    assert "XDG_RUNTIME_DIR" in stderr_of("import pgserver")
    assert stderr_of("from service.ops.embedded import import_pgserver; import_pgserver()") == ""
    quiet_elsewhere = "import warnings; from service.ops.embedded import import_pgserver; import_pgserver(); "
    assert "other" in stderr_of(quiet_elsewhere + "warnings.warn('other', UserWarning)")
