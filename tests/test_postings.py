"""Postings: validation, references, the NSDD-38 rule, roles, concurrency and history."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry, Posting
from tests.conftest import Keys
from tests.factories import activity, post, posting
from tests.support.problems import problem

URL = "/api/v1/postings"


async def written(session: AsyncSession) -> tuple[int, int]:
    """(postings, audit rows): a refused write changes neither."""
    postings = await session.scalar(select(func.count()).select_from(Posting))
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return postings or 0, audits or 0


@pytest.fixture
async def post_id(client: httpx.AsyncClient, keys: Keys) -> str:
    created = await client.post("/api/v1/posts", json=post(), headers=keys["admin"])
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    created = await client.post(URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_round_trip(client: httpx.AsyncClient, keys: Keys, post_id: str) -> None:
    body = posting(
        post_id, fte=0.5, annual_cost=120000.5, currency="USD", tour_start="2025-08-01", tour_end="2028-07-31"
    )
    created = await client.post(URL, json=body, headers=keys["cbp"])
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    record = created.json()
    assert record["fte"] == 0.5 and record["annual_cost"] == 120000.5
    assert record["created_by"] == "test-cbp" and record["version"] == 1 and record["archived_at"] is None
    got = await client.get(created.headers["location"].replace("http://test", ""), headers=keys["reader"])
    assert got.status_code == 200 and got.json() == record


async def test_defaults(client: httpx.AsyncClient, keys: Keys, post_id: str) -> None:
    body = posting(post_id)
    for name in ("fte", "status", "nsdd38_status"):
        body.pop(name)
    record = await create(client, keys["cbp"], body)
    assert (record["fte"], record["status"], record["nsdd38_status"]) == (1.0, "proposed", "draft")


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"fte": 0}, "fte"),
    ({"fte": -0.5}, "fte"),
    ({"fte": 1.01}, "fte"),
    ({"fte": 0.333}, "fte"),
    ({"fte": "full"}, "fte"),
    ({"tour_start": "2025-01-02", "tour_end": "2025-01-01"}, "tour_end"),
    ({"tour_start": "1066-10-14"}, "tour_start"),
    ({"annual_cost": 1000}, "currency"),
    ({"currency": "USD"}, "currency"),
    ({"annual_cost": 10, "currency": "ZZZ"}, "currency"),
    ({"annual_cost": -1, "currency": "USD"}, "annual_cost"),
    ({"role": "spy"}, "role"),
    ({"employment_category": "volunteer"}, "employment_category"),
    ({"status": "occupied"}, "status"),
    ({"nsdd38_status": "pending"}, "nsdd38_status"),
    ({"nsdd38_decided_on": "31/12/2024"}, "nsdd38_decided_on"),
    ({"position_number": ""}, "position_number"),
    ({"position_number": "has space"}, "position_number"),
    ({"position_title": ""}, "position_title"),
    ({"position_title": "bad\u0000title"}, "position_title"),
    ({"component": "cbp"}, "component"),
    ({"post_id": "not-a-uuid"}, "post_id"),
    ({"activity_ids": ["0190d6a2-8f4e-7c3a-9b1d-2e5f6a7b8c9d"] * 2}, "activity_ids"),
    ({"incumbent_name": "Jane Doe"}, "incumbent_name"),  # no field holds a person's name
    ({"city": "Paris"}, "city"),  # the post fixes city and country
    ({"id": str(uuid.uuid4())}, "id"),
    ({"version": 7}, "version"),
    ({"created_by": "someone"}, "created_by"),
]


@pytest.mark.parametrize(("change", "field"), INVALID, ids=[f for _, f in INVALID])
async def test_invalid_input_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    keys: Keys,
    post_id: str,
    session: AsyncSession,
    change: dict[str, Any],
    field: str,
) -> None:
    before = await written(session)
    body = problem(await client.post(URL, json={**posting(post_id), **change}, headers=keys["cbp"]), 422)
    assert field in body["errors"][0]["loc"], body
    assert await written(session) == before


@pytest.mark.parametrize("missing", ["position_number", "component", "post_id", "position_title", "role"])
async def test_required_fields(client: httpx.AsyncClient, keys: Keys, post_id: str, missing: str) -> None:
    body = posting(post_id)
    body.pop(missing)
    errors = problem(await client.post(URL, json=body, headers=keys["cbp"]), 422)["errors"]
    assert errors[0]["loc"] == ["body", missing]


async def test_references_must_be_live(
    client: httpx.AsyncClient, keys: Keys, post_id: str, session: AsyncSession
) -> None:
    act = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    gone = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    archived = await client.delete(
        f"/api/v1/activities/{gone['id']}", headers={**keys["cbp"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    other_post = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()
    archived = await client.delete(
        f"/api/v1/posts/{other_post['id']}", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    before = await written(session)
    cases = [
        ({"post_id": str(uuid.uuid4())}, ["body", "post_id"]),
        ({"post_id": other_post["id"]}, ["body", "post_id"]),
        ({"activity_ids": [act["id"], str(uuid.uuid4())]}, ["body", "activity_ids", 1]),
        ({"activity_ids": [gone["id"]]}, ["body", "activity_ids", 0]),
        ({"component": "ZZZ"}, ["body", "component"]),
        ({"component": "NPPD"}, ["body", "component"]),  # retired: its work moved to CISA
    ]
    for change, loc in cases:
        body = problem(
            await client.post(URL, json={**posting(post_id), **change}, headers=keys["admin"]), 422
        )
        assert body["errors"][0]["loc"] == loc, (change, body)
    assert await written(session) == before
    linked = await create(client, keys["cbp"], posting(post_id, activity_ids=[act["id"]]))
    assert linked["activity_ids"] == [act["id"]]


async def test_duplicate_position_number_is_409(client: httpx.AsyncClient, keys: Keys, post_id: str) -> None:
    body = posting(post_id)
    await create(client, keys["cbp"], body)
    assert "position_number" in problem(await client.post(URL, json=body, headers=keys["cbp"]), 409)["detail"]


@pytest.mark.parametrize("nsdd38", ["draft", "submitted", "disapproved", "withdrawn"])
async def test_filled_needs_nsdd38_clearance(
    client: httpx.AsyncClient, keys: Keys, post_id: str, session: AsyncSession, nsdd38: str
) -> None:
    before = await written(session)
    body = posting(post_id, status="filled", nsdd38_status=nsdd38)
    refused = problem(await client.post(URL, json=body, headers=keys["cbp"]), 409)
    assert "NSDD-38" in refused["detail"] and refused["nsdd38_status"] == nsdd38
    assert refused["nsdd38_required"] == ["approved", "not_required"]
    assert await written(session) == before


@pytest.mark.parametrize("nsdd38", ["approved", "not_required"])
async def test_filled_with_clearance(
    client: httpx.AsyncClient, keys: Keys, post_id: str, nsdd38: str
) -> None:
    record = await create(client, keys["cbp"], posting(post_id, status="filled", nsdd38_status=nsdd38))
    assert record["status"] == "filled"


async def test_nsdd38_rule_on_patch(client: httpx.AsyncClient, keys: Keys, post_id: str) -> None:
    record = await create(client, keys["cbp"], posting(post_id, status="approved", nsdd38_status="submitted"))
    url, headers = f"{URL}/{record['id']}", {**keys["cbp"], "If-Match": '"1"'}
    problem(await client.patch(url, json={"status": "filled"}, headers=headers), 409)
    both = await client.patch(url, json={"status": "filled", "nsdd38_status": "approved"}, headers=headers)
    assert both.status_code == 200 and both.json()["version"] == 2
    headers["If-Match"] = '"2"'
    problem(await client.patch(url, json={"nsdd38_status": "withdrawn"}, headers=headers), 409)


async def test_roles(client: httpx.AsyncClient, keys: Keys, post_id: str, session: AsyncSession) -> None:
    own = await create(client, keys["cbp"], posting(post_id))
    ice = await create(client, keys["ice"], posting(post_id, component="ICE"))
    before = await written(session)
    problem(await client.post(URL, json=posting(post_id, component="ICE"), headers=keys["cbp"]), 403)
    problem(await client.post(URL, json=posting(post_id), headers=keys["reader"]), 403)
    for key, record, patch in (
        ("cbp", ice, {"fte": 0.5}),
        ("cbp", own, {"component": "ICE"}),  # an editor cannot hand a record to another component
        ("reader", own, {"fte": 0.5}),
    ):
        url = f"{URL}/{record['id']}"
        problem(await client.patch(url, json=patch, headers={**keys[key], "If-Match": '"1"'}), 403)
    problem(await client.delete(f"{URL}/{ice['id']}", headers={**keys["cbp"], "If-Match": '"1"'}), 403)
    problem(await client.post(f"{URL}/{own['id']}/restore", headers=keys["cbp"]), 403)
    assert await written(session) == before
    edited = await client.patch(
        f"{URL}/{own['id']}", json={"fte": 0.75}, headers={**keys["cbp"], "If-Match": '"1"'}
    )
    assert edited.status_code == 200 and edited.json()["fte"] == 0.75
    moved = await client.patch(
        f"{URL}/{ice['id']}", json={"component": "CBP"}, headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert moved.status_code == 200 and moved.json()["component"] == "CBP"


async def test_patch_preconditions_and_validation(
    client: httpx.AsyncClient, keys: Keys, post_id: str, session: AsyncSession
) -> None:
    record = await create(client, keys["cbp"], posting(post_id, tour_start="2025-01-01"))
    url = f"{URL}/{record['id']}"
    problem(await client.patch(url, json={"fte": 0.5}, headers=keys["cbp"]), 428)
    stale = problem(
        await client.patch(url, json={"fte": 0.5}, headers={**keys["cbp"], "If-Match": '"9"'}), 412
    )
    assert stale["current_etag"] == '"1"'
    before = await written(session)
    headers = {**keys["cbp"], "If-Match": '"1"'}
    for patch, field in (
        ({"tour_end": "2024-12-31"}, "tour_end"),
        ({"fte": 2}, "fte"),
        ({"role": None}, "role"),
        ({"annual_cost": 5}, "currency"),
        ({"city": "Paris"}, "city"),
    ):
        body = problem(await client.patch(url, json=patch, headers=headers), 422)
        assert field in body["errors"][0]["loc"], body
    assert await written(session) == before
    ok = await client.patch(
        url, json={"fte": 0.5}, headers={**headers, "Content-Type": "application/merge-patch+json"}
    )
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    assert (await client.get(url, headers={**keys["reader"], "If-None-Match": '"2"'})).status_code == 304


async def test_history(client: httpx.AsyncClient, keys: Keys, post_id: str) -> None:
    record = await create(client, keys["cbp"], posting(post_id, fte=1))
    url = f"{URL}/{record['id']}"
    await client.patch(url, json={"fte": 0.5, "status": "vacant"}, headers={**keys["cbp"], "If-Match": '"1"'})
    assert (await client.delete(url, headers={**keys["cbp"], "If-Match": '"2"'})).status_code == 204
    problem(await client.patch(url, json={"fte": 1}, headers={**keys["cbp"], "If-Match": '"3"'}), 409)
    restored = await client.post(f"{url}/restore", headers=keys["admin"])
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    items = (await client.get(f"{url}/history", headers=keys["reader"])).json()["items"]
    assert [i["action"] for i in items] == ["create", "update", "archive", "restore"]
    assert [i["version"] for i in items] == [1, 2, 3, 4]
    assert items[1]["changes"] == {
        "fte": {"before": 1.0, "after": 0.5},
        "status": {"before": "approved", "after": "vacant"},
    }
    assert items[0]["actor"] == {"key_id": str(keys.ids["cbp"]), "name": "test-cbp"}
    assert items[3]["actor"]["name"] == "test-admin"
