"""Recommendations: validation, references, admin-only writes, read-only status, ETags, history."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry, Recommendation
from tests.conftest import Keys
from tests.factories import activity, post, posting, recommendation
from tests.support.problems import problem

URL = "/api/v1/recommendations"


async def written(session: AsyncSession) -> tuple[int, int]:
    """(recommendations, audit rows): a refused write changes neither."""
    rows = await session.scalar(select(func.count()).select_from(Recommendation))
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return rows or 0, audits or 0


async def create(client: httpx.AsyncClient, keys: Keys, **fields: Any) -> dict[str, Any]:
    created = await client.post(URL, json=recommendation(**fields), headers=keys["admin"])
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_round_trip(client: httpx.AsyncClient, keys: Keys) -> None:
    body = recommendation(
        priority=True,
        concurrence="concur",
        corrective_action_plan="Write the plan.",
        target_date="2021-06-30",
        text_is_summary=True,
    )
    created = await client.post(URL, json=body, headers=keys["admin"])
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    record = created.json()
    assert record["status"] == "open_unresolved" and record["closed_on"] is None
    assert {k: record[k] for k in body} == body
    got = await client.get(f"{URL}/{record['id']}", headers=keys["reader"])
    assert got.status_code == 200 and got.json() == record


async def test_defaults(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys)
    assert (record["concurrence"], record["priority"], record["text_is_summary"]) == ("unknown", False, False)
    assert record["activity_ids"] == [] and record["posting_ids"] == [] and record["target_date"] is None


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"status": "closed_implemented"}, "status"),  # status moves only through updates
    ({"closed_on": "2021-01-01"}, "closed_on"),
    ({"id": str(uuid.uuid4())}, "id"),
    ({"version": 3}, "version"),
    ({"report_number": ""}, "report_number"),
    ({"report_number": "OIG 08 71"}, "report_number"),
    ({"report_title": ""}, "report_title"),
    ({"report_date": "2008-13-01"}, "report_date"),
    ({"number": 0}, "number"),
    ({"number": 1000}, "number"),
    ({"number": "seven"}, "number"),
    ({"title": ""}, "title"),
    ({"text": ""}, "text"),
    ({"text": "nul\u0000byte"}, "text"),
    ({"text_is_summary": "maybe"}, "text_is_summary"),
    ({"responsible_component": "cbp"}, "responsible_component"),
    ({"concurrence": "agree"}, "concurrence"),
    ({"priority": "high"}, "priority"),
    ({"target_date": "2019-12-31"}, "target_date"),  # before the report
    ({"activity_ids": ["0190d6a2-8f4e-7c3a-9b1d-2e5f6a7b8c9d"] * 2}, "activity_ids"),
    ({"posting_ids": ["bad"]}, "posting_ids"),
]


@pytest.mark.parametrize(("change", "field"), INVALID, ids=[f for _, f in INVALID])
async def test_invalid_input_is_422_and_writes_nothing(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, change: dict[str, Any], field: str
) -> None:
    before = await written(session)
    body = problem(await client.post(URL, json=recommendation(**change), headers=keys["admin"]), 422)
    assert field in body["errors"][0]["loc"], body
    assert await written(session) == before


@pytest.mark.parametrize(
    "missing", ["report_number", "report_title", "report_date", "number", "title", "text"]
)
async def test_required_fields(client: httpx.AsyncClient, keys: Keys, missing: str) -> None:
    body = recommendation()
    body.pop(missing)
    assert problem(await client.post(URL, json=body, headers=keys["admin"]), 422)["errors"][0]["loc"] == [
        "body",
        missing,
    ]


async def archived_activity_and_posting(client: httpx.AsyncClient, keys: Keys) -> tuple[str, str, str, str]:
    """(live activity, archived activity, live posting, archived posting) ids."""
    post_id = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()["id"]
    made = []
    for url, body in (
        ("/api/v1/activities", activity()),
        ("/api/v1/activities", activity()),
        ("/api/v1/postings", posting(post_id)),
        ("/api/v1/postings", posting(post_id)),
    ):
        created = await client.post(url, json=body, headers=keys["admin"])
        assert created.status_code == 201, created.text
        made.append(created.json()["id"])
    for url in (f"/api/v1/activities/{made[1]}", f"/api/v1/postings/{made[3]}"):
        assert (await client.delete(url, headers={**keys["admin"], "If-Match": '"1"'})).status_code == 204
    return made[0], made[1], made[2], made[3]


async def test_references_must_be_live(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    act, old_act, pos, old_pos = await archived_activity_and_posting(client, keys)
    before = await written(session)
    for change, loc in (
        ({"activity_ids": [act, str(uuid.uuid4())]}, ["body", "activity_ids", 1]),
        ({"activity_ids": [old_act]}, ["body", "activity_ids", 0]),
        ({"posting_ids": [str(uuid.uuid4())]}, ["body", "posting_ids", 0]),
        ({"posting_ids": [pos, old_pos]}, ["body", "posting_ids", 1]),
        ({"responsible_component": "ZZZ"}, ["body", "responsible_component"]),
        ({"responsible_component": "DNDO"}, ["body", "responsible_component"]),  # retired
    ):
        body = problem(await client.post(URL, json=recommendation(**change), headers=keys["admin"]), 422)
        assert body["errors"][0]["loc"] == loc, (change, body)
    assert await written(session) == before
    linked = await create(client, keys, activity_ids=[act], posting_ids=[pos])
    assert (linked["activity_ids"], linked["posting_ids"]) == ([act], [pos])
    # A posting a live recommendation points at cannot be archived from under it.
    refused = await client.delete(f"/api/v1/postings/{pos}", headers={**keys["admin"], "If-Match": '"1"'})
    assert "recommendations" in problem(refused, 409)["detail"]


async def test_report_and_number_are_unique(client: httpx.AsyncClient, keys: Keys) -> None:
    await create(client, keys, report_number="OIG-99-01", number=4)
    again = await client.post(
        URL, json=recommendation(report_number="OIG-99-01", number=4), headers=keys["admin"]
    )
    assert "report_number and number" in problem(again, 409)["detail"]
    await create(client, keys, report_number="OIG-99-02", number=4)


async def test_only_admins_write(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    record = await create(client, keys, responsible_component="CBP")
    url = f"{URL}/{record['id']}"
    before = await written(session)
    for key in ("cbp", "ice", "reader"):
        problem(await client.post(URL, json=recommendation(), headers=keys[key]), 403)
        patched = await client.patch(url, json={"priority": True}, headers={**keys[key], "If-Match": '"1"'})
        problem(patched, 403)
        problem(await client.delete(url, headers={**keys[key], "If-Match": '"1"'}), 403)
        problem(await client.post(f"{url}/restore", headers=keys[key]), 403)
    assert await written(session) == before
    edited = await client.patch(url, json={"priority": True}, headers={**keys["admin"], "If-Match": '"1"'})
    assert edited.status_code == 200 and edited.json()["priority"] is True


async def test_patch_rules(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    record = await create(client, keys)
    url = f"{URL}/{record['id']}"
    problem(await client.patch(url, json={"priority": True}, headers=keys["admin"]), 428)
    problem(
        await client.patch(url, json={"priority": True}, headers={**keys["admin"], "If-Match": '"5"'}), 412
    )
    before = await written(session)
    headers = {**keys["admin"], "If-Match": '"1"'}
    for patch, field in (
        ({"status": "open_resolved"}, "status"),
        ({"closed_on": "2024-01-01"}, "closed_on"),
        ({"target_date": "2000-01-01"}, "target_date"),
        ({"title": None}, "title"),
        ({"number": -1}, "number"),
    ):
        body = problem(await client.patch(url, json=patch, headers=headers), 422)
        assert field in body["errors"][0]["loc"], body
    assert await written(session) == before
    ok = await client.patch(url, json={"corrective_action_plan": "Step one."}, headers=headers)
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    assert ok.json()["status"] == "open_unresolved"


async def test_history_and_archive(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys, priority=False)
    url = f"{URL}/{record['id']}"
    await client.patch(url, json={"priority": True}, headers={**keys["admin"], "If-Match": '"1"'})
    assert (await client.delete(url, headers={**keys["admin"], "If-Match": '"2"'})).status_code == 204
    listed = (await client.get(URL, headers=keys["reader"])).json()["items"]
    assert record["id"] not in [r["id"] for r in listed]
    assert (await client.get(url, headers=keys["reader"])).json()["archived_at"] is not None
    history = (await client.get(f"{url}/history", headers=keys["reader"])).json()["items"]
    assert [h["action"] for h in history] == ["create", "update", "archive"]
    assert history[0]["changes"]["status"] == {"before": None, "after": "open_unresolved"}
    assert history[1]["changes"] == {"priority": {"before": False, "after": True}}
    assert history[1]["actor"] == {"key_id": str(keys.ids["admin"]), "name": "test-admin"}
