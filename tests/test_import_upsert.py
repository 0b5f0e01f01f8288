"""POST /<resource>/import?mode=upsert: rows whose key exists replace their record, identical ones are
left untouched, the rest are created; counts in the answer, one audit row per changed record, and
still all or nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from service.activities.repository import ActivityStore
from service.activities.schemas import ActivityCreate
from service.bulk.replace_writer import ReplaceWriter
from service.cli import app as cli
from service.config import get_settings
from service.errors import Conflict
from service.models import AuditEntry
from service.ops.import_export import CLI_ACTOR
from tests.conftest import Keys
from tests.factories import activity, post, posting, recommendation, trip
from tests.isolated import Isolated, isolated_world
from tests.support.problems import problem

URL = "/api/v1/activities/import"
NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


async def upsert(
    client: httpx.AsyncClient, headers: dict[str, str], rows: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(f"{URL}?mode=upsert", content=ndjson(rows), headers={**headers, **NDJSON})


async def audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def by_identifier(client: httpx.AsyncClient, keys: Keys, identifier: str) -> httpx.Response:
    return await client.get(f"/api/v1/activities/by-identifier/{identifier}", headers=keys["admin"])


async def test_upsert_creates_replaces_and_leaves_identical_rows_alone(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    rows = [activity(description=f"row {n}") for n in range(6)]
    first = await upsert(client, keys["cbp"], rows)
    assert first.status_code == 201, first.text
    assert first.json() == {"created": 6, "updated": 0, "unchanged": 0}
    before = {r["identifier"]: (await by_identifier(client, keys, r["identifier"])).json() for r in rows}
    audits = await audit_count(session)

    changed = [dict(r) for r in rows]
    changed[1]["title"] = "Changed title"
    changed[4] = {k: v for k, v in changed[4].items() if k != "description"}  # replace: back to null
    extra = activity()
    second = await upsert(client, keys["cbp"], [*changed, extra])
    assert second.status_code == 201, second.text
    assert second.json() == {"created": 1, "updated": 2, "unchanged": 4}
    assert await audit_count(session) == audits + 3  # two updates and one create

    for n, row in enumerate(rows):
        now = (await by_identifier(client, keys, row["identifier"])).json()
        was = before[row["identifier"]]
        if n in (1, 4):
            assert now["version"] == 2  # (updated_at is the transaction's start: one test, one transaction)
        else:
            assert now == was  # untouched: same version, same updated_at
    assert (await by_identifier(client, keys, rows[4]["identifier"])).json()["description"] is None
    history = await client.get(
        f"/api/v1/activities/{before[rows[1]['identifier']]['id']}/history", headers=keys["cbp"]
    )
    entries = history.json()["items"]
    assert [e["action"] for e in entries] == ["create", "update"]
    assert entries[1]["changes"] == {"title": {"before": rows[1]["title"], "after": "Changed title"}}
    assert entries[1]["version"] == 2

    feed = (await client.get("/api/v1/changes?limit=200", headers=keys["admin"])).json()["items"]
    assert [i["action"] for i in feed if i["id"] == before[rows[1]["identifier"]]["id"]] == [
        "create",
        "update",
    ]


async def test_upsert_is_all_or_nothing(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    rows = [activity() for _ in range(3)]
    assert (await upsert(client, keys["cbp"], rows)).status_code == 201
    audits = await audit_count(session)
    bad = [{**rows[0], "title": "Would change"}, activity(), {**rows[2], "countries": ["XX"]}]
    answer = problem(await upsert(client, keys["cbp"], bad), 422)
    assert answer["errors"][0]["loc"][:3] == ["row", 3, "countries"]
    assert await audit_count(session) == audits
    assert (await by_identifier(client, keys, rows[0]["identifier"])).json()["title"] == rows[0]["title"]
    problem(await by_identifier(client, keys, bad[1]["identifier"]), 404)


async def test_upsert_authority_archived_and_markings(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    ice = activity(lead_component="ICE")
    cbp = activity(lead_component="CBP")
    assert (await upsert(client, keys["admin"], [ice, cbp])).status_code == 201
    audits = await audit_count(session)
    # An editor replaces only its component's records, and moves none away.
    problem(await upsert(client, keys["cbp"], [{**ice, "title": "mine now"}]), 403)
    moved = problem(await upsert(client, keys["cbp"], [{**cbp, "lead_component": "ICE"}]), 403)
    assert moved["errors"][0]["loc"][:2] == ["row", 1]
    problem(await upsert(client, keys["reader"], [cbp]), 403)
    high = problem(await upsert(client, keys["cbp"], [{**cbp, "sensitivity": "les"}]), 422)
    assert high["errors"][0]["loc"] == ["row", 1, "sensitivity"]

    record = (await by_identifier(client, keys, cbp["identifier"])).json()
    archived = await client.delete(
        f"/api/v1/activities/{record['id']}", headers={**keys["cbp"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    gone = problem(await upsert(client, keys["cbp"], [{**cbp, "title": "again"}]), 409)
    assert "archived" in gone["errors"][0]["msg"]
    assert await audit_count(session) == audits + 1  # the archive only

    hidden = activity(lead_component="ICE", sensitivity="les", title="Nightjar")
    assert (await upsert(client, keys["admin"], [hidden])).status_code == 201
    clash = await upsert(client, keys["cbp"], [{**activity(), "identifier": hidden["identifier"]}])
    problem(clash, 409)
    assert "Nightjar" not in clash.text


async def test_mode_create_keeps_refusing_existing_keys_and_answers_every_count(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    rows = [activity(), activity()]
    made = await client.post(URL, content=ndjson(rows), headers={**keys["cbp"], **NDJSON})
    assert made.json() == {"imported": 2, "created": 2, "updated": 0, "unchanged": 0}
    again = await client.post(
        f"{URL}?mode=create", content=ndjson(rows[:1]), headers={**keys["cbp"], **NDJSON}
    )
    problem(again, 409)
    posts = await client.post(
        "/api/v1/posts/import?mode=upsert", content=b"{}\n", headers={**keys["admin"], **NDJSON}
    )
    assert problem(posts, 422)["errors"][0]["loc"] == ["query", "mode"]
    problem(await client.post(f"{URL}?mode=merge", content=b"{}\n", headers={**keys["cbp"], **NDJSON}), 422)


async def test_recommendations_upsert_by_report_and_number_keeps_their_status(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    rows = [recommendation(report_number="OIG-UP-1", number=n) for n in (1, 2)]
    url = "/api/v1/recommendations/import?mode=upsert"
    made = await client.post(url, content=ndjson(rows), headers={**keys["admin"], **NDJSON})
    assert made.json() == {"created": 2, "updated": 0, "unchanged": 0}, made.text
    first = (await client.get("/api/v1/recommendations/by-number/OIG-UP-1/1", headers=keys["admin"])).json()
    moved = await client.post(
        f"/api/v1/recommendations/{first['id']}/updates",
        json={"to_status": "open_resolved"},
        headers=keys["cbp"],
    )
    assert moved.status_code == 201
    again = await client.post(
        url, content=ndjson([{**rows[0], "priority": True}, rows[1]]), headers={**keys["admin"], **NDJSON}
    )
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 1}, again.text
    now = (await client.get("/api/v1/recommendations/by-number/OIG-UP-1/1", headers=keys["admin"])).json()
    assert now["priority"] is True and now["status"] == "open_resolved"


@pytest.fixture
async def cli_world(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Isolated]:
    """A database of its own, for the CLI, which commits for real."""
    async for made in isolated_world():
        monkeypatch.setenv("DATABASE_URL", made.url)
        get_settings.cache_clear()
        yield made
    get_settings.cache_clear()


async def test_cli_upsert_of_its_own_export_changes_nothing(cli_world: Isolated, tmp_path: Path) -> None:
    def oia(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    assert (await asyncio.to_thread(oia, "seed", "--demo", "--scale", "0.02")).exit_code == 0
    exported = tmp_path / "activities.ndjson"
    result = await asyncio.to_thread(
        oia, "export", "activities", "--format", "ndjson", "--output", str(exported)
    )
    assert result.exit_code == 0, result.output
    writable = list(ActivityCreate.model_fields)
    records = [
        {k: v for k, v in json.loads(line).items() if k in writable}
        for line in exported.read_text().splitlines()
    ]
    records[0]["title"] = "Retitled by the nightly load"
    exported.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = await asyncio.to_thread(
        oia, "import", str(exported), "--resource", "activities", "--mode", "upsert"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"activities: 0 created, 1 updated, {len(records) - 1} unchanged"
    refused = await asyncio.to_thread(oia, "import", str(exported), "--resource", "posts", "--mode", "upsert")
    assert refused.exit_code == 2 and "upsert" in refused.output


async def test_a_record_changed_after_it_was_looked_up_fails_the_import(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    """The set-based UPDATE replaces only the version each row was checked against (authority,
    marking): a record written by someone else in between makes the import a 409, never a silent
    overwrite."""
    body = activity()
    made = (await client.post("/api/v1/activities", json=body, headers=keys["cbp"])).json()
    looked_up = {"id": uuid.UUID(made["id"]), "version": 1}
    patched = await client.patch(
        f"/api/v1/activities/{made['id']}",
        json={"title": "Theirs"},
        headers={**keys["cbp"], "If-Match": '"1"'},
    )
    assert patched.status_code == 200
    values = ActivityCreate.model_validate({**body, "title": "Mine"}).model_dump()
    writer = ReplaceWriter(ActivityStore.spec, list(ActivityCreate.model_fields), CLI_ACTOR)
    writer.stage(7, looked_up, values)
    await writer.send(session, writer.take())
    with pytest.raises(Conflict) as refused:
        await writer.apply(session)
    assert refused.value.errors == [
        {"loc": ["row", 7], "msg": refused.value.errors[0]["msg"], "type": "conflict"}  # type: ignore[index]
    ]
    await session.rollback()
    assert (await by_identifier(client, keys, body["identifier"])).json()["title"] == "Theirs"


async def test_trips_and_postings_upsert_by_their_keys(client: httpx.AsyncClient, keys: Keys) -> None:
    post_id = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()["id"]
    for resource, rows, change in (
        ("trips", [trip(), trip()], {"travelers": 9}),
        ("postings", [posting(post_id), posting(post_id)], {"fte": 0.5}),
    ):
        url = f"/api/v1/{resource}/import?mode=upsert"
        first = await client.post(url, content=ndjson(rows), headers={**keys["cbp"], **NDJSON})
        assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}, first.text
        again = [{**rows[0], **change}, rows[1], trip() if resource == "trips" else posting(post_id)]
        second = await client.post(url, content=ndjson(again), headers={**keys["cbp"], **NDJSON})
        assert second.json() == {"created": 1, "updated": 1, "unchanged": 1}, second.text
    filled = {**rows[1], "status": "filled", "nsdd38_status": "submitted"}  # the NSDD-38 rule holds
    refused = await client.post("/api/v1/postings/import?mode=upsert", content=ndjson([filled]),
                                headers={**keys["cbp"], **NDJSON})  # fmt: skip
    problem(refused, 409)
