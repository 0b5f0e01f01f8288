"""PUT and GET by the integrator's own key (identifier, position_number, report_number + number,
reference): create, replace, identical (nothing written), and every precondition and authority rule."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry
from tests.conftest import Keys
from tests.factories import activity, post, posting, recommendation, trip
from tests.support.problems import problem

ACT = "/api/v1/activities/by-identifier"


async def audit_rows(session: AsyncSession, record_id: str) -> int:
    count = select(func.count()).where(AuditEntry.record_id == record_id)
    return int(await session.scalar(count) or 0)


async def history(client: httpx.AsyncClient, keys: Keys, record_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/api/v1/activities/{record_id}/history", headers=keys["admin"])
    return list(answer.json()["items"])


async def test_put_creates_then_replaces_then_leaves_identical_alone(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    body = activity(identifier="CBP-CASE/2026:17", tags=["port"], description="first")
    created = await client.put(f"{ACT}/{body['identifier']}", json=body, headers=keys["cbp"])
    assert created.status_code == 201, created.text
    record = created.json()
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"].endswith(f"/api/v1/activities/{record['id']}")
    assert (await client.get(created.headers["location"], headers=keys["cbp"])).json()["identifier"] == (
        "CBP-CASE/2026:17"
    )

    # A replacement, not a merge: a field left out takes its create default (description -> null).
    changed = {k: v for k, v in body.items() if k != "description"} | {"title": "Renamed"}
    replaced = await client.put(f"{ACT}/{body['identifier']}", json=changed, headers=keys["cbp"])
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json()["id"] == record["id"]
    assert replaced.json()["description"] is None and replaced.json()["title"] == "Renamed"
    entries = await history(client, keys, record["id"])
    assert [e["action"] for e in entries] == ["create", "update"]
    assert set(entries[1]["changes"]) == {"title", "description"}

    same = await client.put(f"{ACT}/{body['identifier']}", json=changed, headers=keys["cbp"])
    assert same.status_code == 200 and same.headers["etag"] == '"2"'
    assert same.json()["updated_at"] == replaced.json()["updated_at"]
    assert await audit_rows(session, record["id"]) == 2

    fetched = await client.get(f"{ACT}/{body['identifier']}", headers=keys["reader"])
    assert fetched.status_code == 200 and fetched.headers["etag"] == '"2"'
    assert fetched.json() == same.json()
    again = await client.get(
        f"{ACT}/{body['identifier']}", headers={**keys["reader"], "If-None-Match": '"2"'}
    )
    assert again.status_code == 304
    problem(await client.get(f"{ACT}/NO-SUCH-KEY", headers=keys["reader"]), 404)

    feed = (await client.get("/api/v1/changes?limit=200", headers=keys["admin"])).json()["items"]
    assert [i["action"] for i in feed if i["id"] == record["id"]] == ["create", "update"]


async def test_preconditions(client: httpx.AsyncClient, keys: Keys) -> None:
    body = activity()
    url = f"{ACT}/{body['identifier']}"
    problem(await client.put(url, json=body, headers={**keys["cbp"], "If-Match": '"1"'}), 412)
    created = await client.put(url, json=body, headers={**keys["cbp"], "If-None-Match": "*"})
    assert created.status_code == 201
    taken = await client.put(url, json=body, headers={**keys["cbp"], "If-None-Match": "*"})
    assert problem(taken, 412)["current_etag"] == '"1"'
    update = {**body, "title": "Second"}
    assert (await client.put(url, json=update, headers={**keys["cbp"], "If-Match": '"1"'})).status_code == 200
    stale = await client.put(url, json={**body, "title": "Third"}, headers={**keys["cbp"], "If-Match": '"1"'})
    assert "ETag is now" in problem(stale, 412)["detail"]

    other = await client.put(url, json={**body, "identifier": "SOMETHING-ELSE"}, headers=keys["cbp"])
    assert problem(other, 422)["errors"][0]["loc"] == ["body", "identifier"]

    record_id = created.json()["id"]
    archived = await client.delete(
        f"/api/v1/activities/{record_id}", headers={**keys["cbp"], "If-Match": '"2"'}
    )
    assert archived.status_code == 204
    assert "archived" in problem(await client.put(url, json=update, headers=keys["cbp"]), 409)["detail"]


async def test_authority_and_clearance(client: httpx.AsyncClient, keys: Keys) -> None:
    body = activity(lead_component="CBP")
    url = f"{ACT}/{body['identifier']}"
    problem(await client.put(url, json=body, headers=keys["ice"]), 403)  # not its component
    problem(await client.put(url, json=body, headers=keys["reader"]), 403)
    assert (await client.put(url, json=body, headers=keys["cbp"])).status_code == 201
    problem(await client.put(url, json={**body, "title": "x"}, headers=keys["ice"]), 403)
    moved = {**body, "lead_component": "ICE"}
    problem(await client.put(url, json=moved, headers=keys["cbp"]), 403)  # a move needs admin
    assert (await client.put(url, json=moved, headers=keys["admin"])).json()["lead_component"] == "ICE"

    high = activity(sensitivity="les")  # editors are cleared for sbu by default
    answer = await client.put(f"{ACT}/{high['identifier']}", json=high, headers=keys["cbp"])
    assert problem(answer, 422)["errors"][0]["loc"] == ["body", "sensitivity"]


async def test_a_key_held_by_an_invisible_record_is_a_409_that_names_nothing(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    secret = activity(identifier="ICE-SECRET-7f3a", lead_component="ICE", sensitivity="les", title="Nightjar")
    made = await client.post("/api/v1/activities", json=secret, headers=keys["admin"])
    assert made.status_code == 201
    mine = {**activity(lead_component="CBP"), "identifier": "ICE-SECRET-7f3a"}
    conflict = await client.put(f"{ACT}/ICE-SECRET-7f3a", json=mine, headers=keys["cbp"])
    problem(conflict, 409)
    assert made.json()["id"] not in conflict.text and "Nightjar" not in conflict.text
    problem(await client.get(f"{ACT}/ICE-SECRET-7f3a", headers=keys["cbp"]), 404)
    stale = await client.put(f"{ACT}/ICE-SECRET-7f3a", json=mine, headers={**keys["cbp"], "If-Match": '"1"'})
    assert problem(stale, 412)["detail"] == problem(
        await client.put(f"{ACT}/NEVER-SEEN", json={**mine, "identifier": "NEVER-SEEN"},
                         headers={**keys["cbp"], "If-Match": '"1"'}), 412
    )["detail"]  # fmt: skip
    assert (await client.get(f"/api/v1/activities/{made.json()['id']}", headers=keys["admin"])).json()[
        "title"
    ] == "Nightjar"


@pytest.fixture
async def post_id(client: httpx.AsyncClient, keys: Keys) -> str:
    made = await client.post("/api/v1/posts", json=post(), headers=keys["admin"])
    return str(made.json()["id"])


async def test_postings_trips_and_recommendations_by_their_keys(
    client: httpx.AsyncClient, keys: Keys, post_id: str
) -> None:
    cases = [
        ("postings/by-position", posting(post_id, position_number="CBP/MX/0042"), "position_number"),
        ("trips/by-reference", trip(reference="TRV-2027-001"), "reference"),
    ]
    for path, body, key in cases:
        url = f"/api/v1/{path}/{body[key]}"
        assert (await client.put(url, json=body, headers=keys["cbp"])).status_code == 201
        replaced = await client.put(url, json={**body, "fte": 0.5} if key == "position_number" else
                                    {**body, "travelers": 4}, headers=keys["cbp"])  # fmt: skip
        assert replaced.status_code == 200 and replaced.headers["etag"] == '"2"', replaced.text
        assert (await client.get(url, headers=keys["cbp"])).headers["etag"] == '"2"'

    body = recommendation(report_number="OIG-08/71", number=12)
    url = "/api/v1/recommendations/by-number/OIG-08/71/12"
    problem(await client.put(url, json=body, headers=keys["cbp"]), 403)  # only admins write these
    created = await client.put(url, json=body, headers=keys["admin"])
    assert created.status_code == 201 and created.json()["status"] == "open_unresolved", created.text
    rec_id = created.json()["id"]
    moved = await client.post(
        f"/api/v1/recommendations/{rec_id}/updates", json={"to_status": "open_resolved"}, headers=keys["cbp"]
    )
    assert moved.status_code == 201, moved.text
    # A PUT replaces the admin's fields; the status moves only through /updates, so it stays.
    replaced = await client.put(url, json={**body, "priority": True}, headers=keys["admin"])
    assert replaced.status_code == 200 and replaced.json()["status"] == "open_resolved"
    with_status = await client.put(url, json={**body, "status": "closed_implemented"}, headers=keys["admin"])
    assert "updates" in problem(with_status, 422)["errors"][0]["msg"]
    problem(await client.put("/api/v1/recommendations/by-number/OIG-08/71/13", json=body,
                             headers=keys["admin"]), 422)  # fmt: skip
    assert (await client.get(url, headers=keys["reader"])).json()["id"] == rec_id
    problem(await client.get("/api/v1/recommendations/by-number/OIG-08/71/abc", headers=keys["reader"]), 422)
