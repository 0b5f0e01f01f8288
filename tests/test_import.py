"""POST /<resource>/import: all or nothing, rows named in errors, set-based checks, audit rows."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from service.activities.repository import ActivityStore
from service.activities.schemas import ActivityCreate
from service.bulk.settings import get_bulk_settings
from service.bulk.writer import CopyWriter, created_changes
from service.cli import app as cli
from service.config import get_settings
from service.errors import Unprocessable
from service.models import Activity, AuditEntry, Post, Posting, Recommendation, Trip
from service.ops.import_export import CLI_ACTOR
from service.records.audit import diff
from tests.conftest import Keys
from tests.factories import activity, post, posting, recommendation
from tests.isolated import Isolated, isolated_world
from tests.support.problems import problem

URL = "/api/v1/activities/import"
NDJSON = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}


def ndjson(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


async def counts(session: AsyncSession) -> tuple[int, int]:
    """(activities, audit rows): a refused import changes neither."""
    activities = await session.scalar(select(func.count()).select_from(Activity))
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return activities or 0, audits or 0


async def post_import(
    client: httpx.AsyncClient, headers: dict[str, str], body: str, kind: dict[str, str] = NDJSON
) -> httpx.Response:
    return await client.post(URL, content=body.encode(), headers={**headers, **kind})


async def test_ndjson_import_creates_every_row_with_one_audit_row_each(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    rows = [activity(countries=["MX", "GT"], tags=["bulk"]) for _ in range(25)]
    rows[0] |= {"estimated_cost": 1250000.5, "currency": "USD", "start_date": "2024-10-01"}
    rows[1]["foreign_partners"] = [{"name": "Aduanas", "country": "MX", "partner_type": "customs"}]
    before = await counts(session)
    response = await post_import(client, keys["cbp"], ndjson(rows))
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": 25, "created": 25, "updated": 0, "unchanged": 0}
    assert await counts(session) == (before[0] + 25, before[1] + 25)

    listed = await client.get("/api/v1/activities", params={"limit": 200}, headers=keys["reader"])
    stored = {item["identifier"]: item for item in listed.json()["items"]}
    for row in rows:
        record = stored[row["identifier"]]
        assert {k: record[k] for k in row} == row
        assert record["version"] == 1 and record["created_by"] == "test-cbp"

    history = await client.get(
        f"/api/v1/activities/{stored[rows[0]['identifier']]['id']}/history", headers=keys["reader"]
    )
    (entry,) = history.json()["items"]
    assert entry["action"] == "create" and entry["version"] == 1
    assert entry["actor"]["name"] == "test-cbp"
    assert entry["changes"]["title"] == {"before": None, "after": rows[0]["title"]}
    assert entry["changes"]["estimated_cost"] == {"before": None, "after": 1250000.5}
    assert entry["changes"]["countries"] == {"before": None, "after": ["MX", "GT"]}
    assert "description" not in entry["changes"]  # null fields are not changes, as for single creates

    feed = (await client.get("/api/v1/changes", params={"limit": 200}, headers=keys["reader"])).json()
    imported_ids = [c["id"] for c in feed["items"] if c["resource"] == "activities"]
    assert imported_ids[-25:] == [stored[r["identifier"]]["id"] for r in rows]  # feed keeps file order


async def test_one_bad_row_names_row_and_field_and_writes_nothing(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    rows = [activity() for _ in range(5)]
    rows[2]["countries"] = ["MX", "ZZ"]
    before = await counts(session)
    body = problem(await post_import(client, keys["cbp"], ndjson(rows)), 422)
    assert body["errors"][0]["loc"] == ["row", 3, "countries", 1]
    assert "ZZ" in body["errors"][0]["msg"]
    assert body["detail"].startswith("Row 3, countries.1:") and "Nothing was imported" in body["detail"]
    assert await counts(session) == before


async def test_errors_of_many_rows_are_listed_and_not_json_is_named(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    lines = [json.dumps(activity()), "{not json", json.dumps(activity(unknown=1)), ""]
    lines.append(json.dumps(activity(title="")))
    body = problem(await post_import(client, keys["cbp"], "\n".join(lines)), 422)
    assert [e["loc"][:3] for e in body["errors"]] == [["row", 2], ["row", 3, "unknown"], ["row", 5, "title"]]


async def test_a_late_bad_row_rolls_back_chunks_already_copied(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_bulk_settings(), "import_chunk_rows", 10)
    rows = [activity() for _ in range(35)]
    rows[31]["lead_component"] = "NOPE"
    before = await counts(session)
    body = problem(await post_import(client, keys["admin"], ndjson(rows)), 422)
    assert body["errors"] == [
        {
            "loc": ["row", 32, "lead_component"],
            "msg": "'NOPE' is not a component code (see GET /api/v1/components)",
            "type": "reference_error",
        }
    ]
    assert await counts(session) == before


async def test_references_are_checked_against_live_records(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    created = await client.post("/api/v1/posts", json=post(), headers=keys["admin"])
    live_post = created.json()["id"]
    missing = "0190c4d0-0000-7000-8000-000000000000"
    rows = [
        activity(post_ids=[live_post]),
        activity(post_ids=[live_post, missing]),
        activity(strategic_goal_codes=["QHSR23-M2", "NO-SUCH-GOAL"]),
        activity(participating_components=["ICE", "NPPD"]),
    ]
    body = problem(await post_import(client, keys["cbp"], ndjson(rows)), 422)
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["row", 2, "post_ids", 1], "reference_error"),
        (["row", 3, "strategic_goal_codes", 1], "reference_error"),
        (["row", 4, "participating_components", 1], "reference_error"),
    ]
    assert "retired" in body["errors"][2]["msg"] and "CISA" in body["errors"][2]["msg"]


async def test_duplicate_identifiers_in_the_file_or_the_table_are_409_naming_the_row(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    existing = activity()
    assert (await client.post("/api/v1/activities", json=existing, headers=keys["cbp"])).status_code == 201
    first = activity()
    rows = [first, activity(), activity(identifier=first["identifier"])]
    before = await counts(session)
    body = problem(await post_import(client, keys["cbp"], ndjson(rows)), 409)
    assert body["errors"][0]["loc"] == ["row", 3, "identifier"]
    assert "also on row 1" in body["errors"][0]["msg"]

    body = problem(await post_import(client, keys["cbp"], ndjson([activity(), existing])), 409)
    assert body["errors"][0]["loc"] == ["row", 2, "identifier"]
    assert "already exists" in body["errors"][0]["msg"]
    assert await counts(session) == before


async def test_csv_import_with_arrays_nested_json_and_neutralised_cells(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    partners = [{"name": 'Policía, "Federal"', "country": "GT", "partner_type": "law_enforcement"}]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "identifier",
            "title",
            "activity_type",
            "lead_component",
            "countries",
            "foreign_partners",
            "estimated_cost",
            "currency",
            "fiscal_year",
            "description",
        ]
    )
    writer.writerow(
        [
            "CSV-1",
            "'=SUM(A1)",
            "investigation",
            "CBP",
            "MX;GT",
            json.dumps(partners),
            "1000.25",
            "USD",
            "2025",
            "two\r\nlines",
        ]
    )
    writer.writerow(["CSV-2", "Plain", "investigation", "CBP", "MX", "", "", "", "", ""])
    response = await post_import(
        client, keys["cbp"], out.getvalue(), {"Content-Type": "text/csv; charset=utf-8"}
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": 2, "created": 2, "updated": 0, "unchanged": 0}
    listed = (await client.get("/api/v1/activities", params={"limit": 200}, headers=keys["reader"])).json()
    stored = {i["identifier"]: i for i in listed["items"]}
    one, two = stored["CSV-1"], stored["CSV-2"]
    assert one["title"] == "=SUM(A1)"  # the export's formula guard comes off again
    assert one["countries"] == ["MX", "GT"] and one["foreign_partners"] == partners
    assert one["estimated_cost"] == 1000.25 and one["fiscal_year"] == 2025
    assert one["description"] == "two\r\nlines"
    assert two["foreign_partners"] == [] and two["estimated_cost"] is None and two["status"] == "planned"


async def test_csv_header_must_name_writable_fields_and_rows_must_fit_it(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    body = problem(await post_import(client, keys["cbp"], "identifier,id,title\r\n", CSV), 422)
    assert body["errors"][0]["loc"] == ["header", 1, "id"] and "set by the server" in body["errors"][0]["msg"]
    text = "identifier,title,activity_type,lead_component,countries\r\nA-1,T,investigation,CBP\r\n"
    body = problem(await post_import(client, keys["cbp"], text, CSV), 422)
    assert body["errors"][0]["loc"] == ["row", 1] and "expected 5 cells" in body["errors"][0]["msg"]
    problem(await post_import(client, keys["cbp"], "", CSV), 422)


async def test_editor_importing_another_components_row_is_403_naming_the_row(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    rows = [activity(), activity(lead_component="ICE"), activity()]
    before = await counts(session)
    body = problem(await post_import(client, keys["cbp"], ndjson(rows)), 403)
    assert body["detail"].startswith("Row 2:") and body["errors"][0]["loc"] == ["row", 2, "lead_component"]
    problem(await post_import(client, keys["reader"], ndjson([activity()])), 403)
    posts_import = await client.post(
        "/api/v1/posts/import", content=ndjson([post()]), headers={**keys["cbp"], **NDJSON}
    )
    problem(posts_import, 403)  # reference data: admins only
    assert await counts(session) == before


async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    for content_type in ("application/json", "text/plain", "text/csv; charset=latin-1"):
        response = await post_import(
            client, keys["cbp"], ndjson([activity()]), {"Content-Type": content_type}
        )
        problem(response, 415)
    problem(await client.post(URL, content=b"x", headers=keys["cbp"]), 415)


async def test_over_the_row_cap_is_413_and_writes_nothing(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_bulk_settings(), "import_max_rows", 5)
    before = await counts(session)
    assert (await post_import(client, keys["cbp"], ndjson([activity() for _ in range(5)]))).status_code == 201
    body = problem(await post_import(client, keys["cbp"], ndjson([activity() for _ in range(6)])), 413)
    assert "more than 5 rows" in body["detail"]
    assert (await counts(session))[0] == before[0] + 5


async def test_import_may_be_larger_than_the_ordinary_body_limit(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    rows = [activity(description="x" * 2000) for _ in range(800)]
    body = ndjson(rows)
    assert len(body) > 1_048_576  # the app-wide MAX_BODY_BYTES default
    response = await post_import(client, keys["cbp"], body)
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": 800, "created": 800, "updated": 0, "unchanged": 0}


async def test_postings_import_keeps_the_nsdd38_rule(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    post_id = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()["id"]
    rows = [posting(post_id), posting(post_id, status="filled", nsdd38_status="submitted")]
    response = await client.post(
        "/api/v1/postings/import", content=ndjson(rows), headers={**keys["cbp"], **NDJSON}
    )
    body = problem(response, 409)
    assert body["errors"][0]["loc"] == ["row", 2] and "NSDD-38" in body["errors"][0]["msg"]
    response = await client.post(
        "/api/v1/postings/import", content=ndjson(rows[:1]), headers={**keys["cbp"], **NDJSON}
    )
    assert response.status_code == 201 and response.json() == {
        "imported": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }


async def test_recommendations_import_runs_the_stores_own_checks(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    rows = [recommendation(report_number="IMP-1", number=n) for n in (1, 2)]
    response = await client.post(
        "/api/v1/recommendations/import", content=ndjson(rows), headers={**keys["admin"], **NDJSON}
    )
    assert response.status_code == 201, response.text
    statuses = await session.execute(
        select(Recommendation.status).where(Recommendation.report_number == "IMP-1")
    )
    assert sorted(statuses.scalars()) == ["open_unresolved", "open_unresolved"]
    bad = [recommendation(report_number="IMP-2", activity_ids=["0190c4d0-0000-7000-8000-000000000000"])]
    response = await client.post(
        "/api/v1/recommendations/import", content=ndjson(bad), headers={**keys["admin"], **NDJSON}
    )
    assert problem(response, 422)["errors"][0]["loc"] == ["row", 1, "activity_ids", 0]


@pytest.fixture
async def world(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Isolated]:
    """A database of its own, for the CLI, which commits for real."""
    async for made in isolated_world():
        monkeypatch.setenv("DATABASE_URL", made.url)
        get_settings.cache_clear()
        yield made
    get_settings.cache_clear()


async def oia(*args: str) -> Result:
    """Run the CLI in a thread (it runs its own event loop), as a pipe sees it: no progress bar."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def test_cli_export_and_import_round_trip(world: Isolated, tmp_path: Path) -> None:
    assert (await oia("seed", "--demo", "--scale", "0.02")).exit_code == 0
    exported = tmp_path / "activities.ndjson"
    result = await oia("export", "activities", "--format", "ndjson", "--output", str(exported))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in exported.read_text().splitlines()]
    assert len(records) == 100

    writable = list(ActivityCreate.model_fields)
    again = [
        {**{k: r[k] for k in writable}, "identifier": r["identifier"].replace("DEMO-", "COPY-")}
        for r in records
    ]
    source = tmp_path / "copy.ndjson"
    source.write_text(ndjson(again))
    result = await oia("import", str(source), "--resource", "activities")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported 100 activities"  # and no progress bar when not a terminal

    result = await oia("import", str(source), "--resource", "activities")
    assert result.exit_code == 1
    assert "row 1, identifier: an activity with identifier 'COPY-" in result.output

    csv_out = await oia("export", "activities")
    assert csv_out.exit_code == 0 and csv_out.stdout_bytes.count(b"\r\n") == 201  # header + 200
    async with world.maker() as session:
        actors = await session.execute(
            select(AuditEntry.actor_name, AuditEntry.key_id, func.count())
            .group_by(AuditEntry.actor_name, AuditEntry.key_id)
            .order_by(AuditEntry.actor_name)
        )
        demo_rows = sum(
            [
                await session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Post, Posting, Activity, Trip)
            ]
        )
        assert [tuple(r) for r in actors] == [("cli", None, 100), ("demo-seed", None, demo_rows - 100)]


async def test_a_row_the_database_refuses_is_named_by_its_number(keys: Keys, session: AsyncSession) -> None:
    """The checks before COPY make this rare (a concurrent insert of the same key); the COPY's error
    still names the row. Here the writer is fed a row the schema would have refused."""
    writer = CopyWriter(ActivityStore.spec, CLI_ACTOR)
    rows = [ActivityCreate.model_validate(activity()).model_dump() for _ in range(3)]
    rows[1] |= {"start_date": date(2025, 1, 2), "end_date": date(2025, 1, 1)}
    with pytest.raises(Unprocessable) as refused:
        await writer.write(session, rows, [7, 8, 9])
    assert refused.value.errors == [
        {"loc": ["row", 8], "msg": refused.value.errors[0]["msg"], "type": "database_rule"}
    ]
    assert "ck_activities_dates_ordered" in (refused.value.detail or "")


def test_bulk_audit_changes_are_those_of_a_single_create() -> None:
    partners = [{"name": "Aduana", "country": "MX", "partner_type": "customs"}]
    body = activity(estimated_cost=10.5, currency="USD", start_date="2024-01-01", foreign_partners=partners)
    model = ActivityCreate.model_validate(body | {"post_ids": [str(uuid.uuid4())]})
    expected = diff(None, model.model_dump())
    assert json.loads(created_changes(model.model_dump())) == expected
    assert json.loads(created_changes(dict(model))) == expected  # the import's values: nested models


@pytest.mark.skipif(not os.environ.get("OIA_SLOW_TESTS"), reason="timing test: set OIA_SLOW_TESTS=1")
async def test_100k_activities_import_in_seconds(world: Isolated) -> None:
    partners = [{"name": "Aduana", "country": "MX", "partner_type": "customs"}]
    rows = [
        activity(countries=["MX", "GT"], foreign_partners=partners, tags=["bench"]) for _ in range(100_000)
    ]
    started = time.perf_counter()
    response = await world.client.post(
        URL, content=ndjson(rows).encode(), headers={**world.headers["admin"], **NDJSON}, timeout=600
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201 and response.json() == {
        "imported": 100_000,
        "created": 100_000,
        "updated": 0,
        "unchanged": 0,
    }
    print(f"100,000 activities imported in {elapsed:.1f} s")
    assert elapsed < float(os.environ.get("OIA_IMPORT_BUDGET_SECONDS", "15"))
