"""Trips: validation (each rule), references, roles, concurrency, idempotency, history, archive."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry, Trip
from tests.conftest import Keys
from tests.factories import activity, post, trip
from tests.support.problems import problem

URL = "/api/v1/trips"


async def written(session: AsyncSession) -> tuple[int, int]:
    """(trips, audit rows): a refused write changes neither."""
    trips = await session.scalar(select(func.count()).select_from(Trip))
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return trips or 0, audits or 0


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    created = await client.post(URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_round_trip(client: httpx.AsyncClient, keys: Keys) -> None:
    made = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()
    act = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    body = trip(
        countries=["MX", "GT"],
        post_ids=[made["id"]],
        activity_ids=[act["id"]],
        travelers=12,
        clearance_status="approved",
        clearance_decided_on="2027-02-01",
        sensitivity="public",
    )
    created = await client.post(URL, json=body, headers=keys["cbp"])
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    record = created.json()
    assert {k: record[k] for k in body} == body
    assert record["created_by"] == "test-cbp" and record["version"] == 1 and record["archived_at"] is None
    got = await client.get(created.headers["location"].replace("http://test", ""), headers=keys["admin"])
    assert got.status_code == 200 and got.json() == record


async def test_defaults(client: httpx.AsyncClient, keys: Keys) -> None:
    body = trip()
    for name in ("clearance_status", "clearance_requested_on"):
        body.pop(name)
    record = await create(client, keys["cbp"], body)
    assert (record["clearance_status"], record["sensitivity"]) == ("not_requested", "sbu")
    assert record["post_ids"] == record["activity_ids"] == []
    assert record["clearance_requested_on"] is record["clearance_decided_on"] is None


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"travelers": 0}, "travelers"),
    ({"travelers": 501}, "travelers"),
    ({"travelers": 2.5}, "travelers"),
    ({"travelers": "three"}, "travelers"),
    ({"depart_on": "2027-03-08", "return_on": "2027-03-07"}, "return_on"),
    ({"depart_on": "08/03/2027"}, "depart_on"),
    ({"return_on": 0}, "return_on"),
    ({"countries": []}, "countries"),
    ({"countries": ["mx"]}, "countries"),
    ({"countries": ["MX", "MX"]}, "countries"),
    ({"post_ids": ["not-a-uuid"]}, "post_ids"),
    ({"activity_ids": ["0190d6a2-8f4e-7c3a-9b1d-2e5f6a7b8c9d"] * 2}, "activity_ids"),
    ({"clearance_status": "pending"}, "clearance_status"),
    ({"sensitivity": "secret"}, "sensitivity"),
    ({"reference": ""}, "reference"),
    ({"reference": "has space"}, "reference"),
    ({"purpose": ""}, "purpose"),
    ({"purpose": "x" * 501}, "purpose"),
    ({"component": "cbp"}, "component"),
    # eCC: a request date for every status but not_requested and not_required ...
    ({"clearance_status": "requested", "clearance_requested_on": None}, "clearance_requested_on"),
    ({"clearance_status": "cancelled", "clearance_requested_on": None}, "clearance_requested_on"),
    (
        {
            "clearance_status": "approved",
            "clearance_requested_on": None,
            "clearance_decided_on": "2027-02-01",
        },
        "clearance_requested_on",
    ),
    # ... and none while not_requested;
    ({"clearance_status": "not_requested"}, "clearance_requested_on"),
    # a decision date for approved and denied, none before a decision, never before the request.
    ({"clearance_status": "approved"}, "clearance_decided_on"),
    ({"clearance_status": "denied"}, "clearance_decided_on"),
    ({"clearance_decided_on": "2027-02-01"}, "clearance_decided_on"),
    (
        {"clearance_status": "approved", "clearance_decided_on": "2027-01-09"},
        "clearance_decided_on",
    ),
    # No field holds a person: travellers are a count.
    ({"traveler_names": ["Jane Doe"]}, "traveler_names"),
    ({"id": str(uuid.uuid4())}, "id"),
    ({"version": 7}, "version"),
    ({"created_by": "someone"}, "created_by"),
]


@pytest.mark.parametrize(("change", "field"), INVALID, ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID)])
async def test_invalid_input_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, change: dict[str, Any], field: str
) -> None:
    before = await written(session)
    body = problem(await client.post(URL, json={**trip(), **change}, headers=keys["cbp"]), 422)
    assert field in body["errors"][0]["loc"], body
    assert await written(session) == before


@pytest.mark.parametrize(
    "change",
    [
        {"clearance_status": "not_required", "clearance_requested_on": None},
        {"clearance_status": "not_required", "clearance_decided_on": "2027-01-12"},
        {"clearance_status": "cancelled"},
        {"clearance_status": "cancelled", "clearance_decided_on": "2027-01-20"},
        {"clearance_status": "denied", "clearance_decided_on": "2027-01-10"},
        {"depart_on": "2027-03-08", "return_on": "2027-03-08"},  # a day trip
        {"travelers": 1},
        {"travelers": 500},
    ],
)
async def test_valid_edges(client: httpx.AsyncClient, keys: Keys, change: dict[str, Any]) -> None:
    record = await create(client, keys["cbp"], {**trip(), **change})
    assert {k: record[k] for k in change} == change


@pytest.mark.parametrize(
    "missing", ["reference", "component", "purpose", "countries", "travelers", "depart_on"]
)
async def test_required_fields(client: httpx.AsyncClient, keys: Keys, missing: str) -> None:
    body = trip()
    body.pop(missing)
    errors = problem(await client.post(URL, json=body, headers=keys["cbp"]), 422)["errors"]
    assert errors[0]["loc"] == ["body", missing]


async def test_references_must_be_live(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    act = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    gone = (await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])).json()
    archived = await client.delete(
        f"/api/v1/activities/{gone['id']}", headers={**keys["cbp"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    live_post = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()
    before = await written(session)
    cases = [
        ({"post_ids": [live_post["id"], str(uuid.uuid4())]}, ["body", "post_ids", 1]),
        ({"activity_ids": [act["id"], str(uuid.uuid4())]}, ["body", "activity_ids", 1]),
        ({"activity_ids": [gone["id"]]}, ["body", "activity_ids", 0]),
        ({"component": "ZZZ"}, ["body", "component"]),
        ({"component": "NPPD"}, ["body", "component"]),  # retired: its work moved to CISA
    ]
    for change, loc in cases:
        body = problem(await client.post(URL, json={**trip(), **change}, headers=keys["admin"]), 422)
        assert body["errors"][0]["loc"] == loc, (change, body)
    assert await written(session) == before
    linked = await create(client, keys["cbp"], trip(post_ids=[live_post["id"]], activity_ids=[act["id"]]))
    assert linked["activity_ids"] == [act["id"]]
    # The post now carries a live trip: it cannot be archived until the trip is.
    refused = problem(
        await client.delete(f"/api/v1/posts/{live_post['id']}", headers={**keys["admin"], "If-Match": '"1"'}),
        409,
    )
    assert "1 live trips" in refused["detail"]


async def test_a_marking_above_the_writers_clearance_is_422(client: httpx.AsyncClient, keys: Keys) -> None:
    refused = problem(await client.post(URL, json=trip(sensitivity="les"), headers=keys["cbp"]), 422)
    assert refused["errors"][0]["loc"] == ["body", "sensitivity"]  # an editor's key is sbu
    assert (await client.post(URL, json=trip(sensitivity="les"), headers=keys["admin"])).status_code == 201


async def test_duplicate_reference_is_409(client: httpx.AsyncClient, keys: Keys) -> None:
    body = trip()
    await create(client, keys["cbp"], body)
    assert "reference" in problem(await client.post(URL, json=body, headers=keys["cbp"]), 409)["detail"]


async def test_roles(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    own = await create(client, keys["cbp"], trip())
    ice = await create(client, keys["ice"], trip(component="ICE"))
    before = await written(session)
    problem(await client.post(URL, json=trip(component="ICE"), headers=keys["cbp"]), 403)
    problem(await client.post(URL, json=trip(), headers=keys["reader"]), 403)
    for key, record, patch in (
        ("cbp", ice, {"travelers": 5}),
        ("cbp", own, {"component": "ICE"}),  # an editor cannot hand a trip to another component
        ("reader", own, {"travelers": 5}),
    ):
        url = f"{URL}/{record['id']}"
        problem(await client.patch(url, json=patch, headers={**keys[key], "If-Match": '"1"'}), 403)
    problem(await client.delete(f"{URL}/{ice['id']}", headers={**keys["cbp"], "If-Match": '"1"'}), 403)
    problem(await client.post(f"{URL}/{own['id']}/restore", headers=keys["cbp"]), 403)
    assert await written(session) == before
    moved = await client.patch(
        f"{URL}/{ice['id']}", json={"component": "CBP"}, headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert moved.status_code == 200 and moved.json()["component"] == "CBP"


async def test_patch_preconditions_and_clearance_moves(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    record = await create(
        client, keys["cbp"], trip(clearance_status="not_requested", clearance_requested_on=None)
    )
    url = f"{URL}/{record['id']}"
    problem(await client.patch(url, json={"travelers": 4}, headers=keys["cbp"]), 428)
    stale = problem(
        await client.patch(url, json={"travelers": 4}, headers={**keys["cbp"], "If-Match": '"9"'}), 412
    )
    assert stale["current_etag"] == '"1"'
    headers = {**keys["cbp"], "If-Match": '"1"', "Content-Type": "application/merge-patch+json"}
    before = await written(session)
    for patch, field in (
        ({"clearance_status": "requested"}, "clearance_requested_on"),
        ({"return_on": "2027-03-01"}, "return_on"),
        ({"travelers": None}, "travelers"),
        ({"traveler_names": ["A. Person"]}, "traveler_names"),
    ):
        body = problem(await client.patch(url, json=patch, headers=headers), 422)
        assert field in body["errors"][0]["loc"], body
    assert await written(session) == before
    # not_requested -> requested -> approved, each with its date.
    requested = await client.patch(
        url, json={"clearance_status": "requested", "clearance_requested_on": "2027-01-15"}, headers=headers
    )
    assert requested.status_code == 200 and requested.headers["etag"] == '"2"'
    approved = await client.patch(
        url,
        json={"clearance_status": "approved", "clearance_decided_on": "2027-02-10"},
        headers={**headers, "If-Match": '"2"'},
    )
    assert approved.status_code == 200 and approved.json()["clearance_status"] == "approved"
    assert (await client.get(url, headers={**keys["reader"], "If-None-Match": '"3"'})).status_code == 304


async def test_idempotent_create(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    body = trip()
    headers = {**keys["cbp"], "Idempotency-Key": "trip-1"}
    first = await client.post(URL, json=body, headers=headers)
    again = await client.post(URL, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert await session.scalar(select(func.count()).where(Trip.reference == body["reference"])) == 1
    problem(await client.post(URL, json={**body, "travelers": 9}, headers=headers), 422)


async def test_history_archive_restore_and_the_change_feed(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"], trip(travelers=3))
    url = f"{URL}/{record['id']}"
    changed = await client.patch(url, json={"travelers": 4}, headers={**keys["cbp"], "If-Match": '"1"'})
    assert changed.status_code == 200
    assert (await client.delete(url, headers={**keys["cbp"], "If-Match": '"2"'})).status_code == 204
    archived = (await client.get(url, headers=keys["admin"])).json()
    assert archived["archived_at"] is not None
    problem(await client.patch(url, json={"travelers": 5}, headers={**keys["cbp"], "If-Match": '"3"'}), 409)
    listed = (await client.get(URL, headers=keys["admin"])).json()["items"]
    assert record["id"] not in [t["id"] for t in listed]
    restored = await client.post(f"{url}/restore", headers=keys["admin"])
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    items = (await client.get(f"{url}/history", headers=keys["admin"])).json()["items"]
    assert [i["action"] for i in items] == ["create", "update", "archive", "restore"]
    assert items[1]["changes"] == {"travelers": {"before": 3, "after": 4}}
    feed = await client.get("/api/v1/changes", params={"resource": "trips"}, headers=keys["reader"])
    assert feed.status_code == 200
    assert [(c["id"], c["action"]) for c in feed.json()["items"]] == [
        (record["id"], action) for action in ("create", "update", "archive", "restore")
    ]
