"""Activities: create/read/update/archive, validation, ETags and ownership."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, AuditEntry
from tests.conftest import Keys
from tests.factories import activity, post

API = "/api/v1/activities"


async def count_activities(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Activity)) or 0)


async def create(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post(API, json=activity(**fields), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_returns_record_location_and_etag(client: httpx.AsyncClient, keys: Keys) -> None:
    body = activity(
        participating_components=["ICE"],
        foreign_partners=[{"name": "SAT", "country": "MX", "partner_type": "customs"}],
        strategic_goal_codes=["QHSR23-M2"],
        start_date="2024-01-01",
        end_date="2025-01-01",
        estimated_cost=1500.5,
        currency="USD",
        fiscal_year=2024,
        tags=["csi"],
    )
    response = await client.post(API, json=body, headers=keys["cbp"])
    assert response.status_code == 201
    record = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{API}/{record['id']}")
    assert record["version"] == 1 and record["created_by"] == "test-cbp"
    assert record["estimated_cost"] == 1500.5
    assert record["created_at"].endswith("Z")
    for field, value in body.items():
        assert record[field] == value, field


async def test_get_304_with_current_etag(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"])
    url = f"{API}/{record['id']}"
    fresh = await client.get(url, headers={**keys["reader"], "If-None-Match": '"1"'})
    assert fresh.status_code == 304 and fresh.content == b""
    stale = await client.get(url, headers={**keys["reader"], "If-None-Match": '"0"'})
    assert stale.status_code == 200


async def test_unknown_id_is_404_problem(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get(f"{API}/00000000-0000-7000-8000-000000000000", headers=keys["reader"])
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


async def test_duplicate_identifier_is_409(client: httpx.AsyncClient, keys: Keys) -> None:
    await create(client, keys["cbp"], identifier="DUP-1")
    again = await client.post(API, json=activity(identifier="DUP-1"), headers=keys["cbp"])
    assert again.status_code == 409
    assert "identifier" in again.json()["detail"]


INVALID_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", {"colour": "red"}, "colour"),
    ("server field id", {"id": "00000000-0000-7000-8000-000000000000"}, "id"),
    ("server field version", {"version": 7}, "version"),
    ("server field created_by", {"created_by": "me"}, "created_by"),
    ("wrong type", {"title": 5}, "title"),
    ("empty title", {"title": ""}, "title"),
    ("over-long title", {"title": "x" * 301}, "title"),
    ("NUL byte", {"title": "a\u0000b"}, "title"),
    ("lone surrogate", {"description": "a\ud800b"}, "description"),
    ("bad country", {"countries": ["ZZ"]}, "countries"),
    ("lowercase country", {"countries": ["mx"]}, "countries"),
    ("no country", {"countries": []}, "countries"),
    ("repeated country", {"countries": ["MX", "MX"]}, "countries"),
    ("bad type", {"activity_type": "spying"}, "activity_type"),
    ("bad status", {"status": "done"}, "status"),
    ("bad sensitivity", {"sensitivity": "secret"}, "sensitivity"),
    ("end before start", {"start_date": "2024-02-01", "end_date": "2024-01-01"}, "end_date"),
    ("cost without currency", {"estimated_cost": 10}, "currency"),
    ("bad currency", {"estimated_cost": 10, "currency": "XYZ"}, "currency"),
    ("negative cost", {"estimated_cost": -1, "currency": "USD"}, "estimated_cost"),
    ("huge cost", {"estimated_cost": 10**20, "currency": "USD"}, "estimated_cost"),
    ("fiscal year past int range", {"fiscal_year": 2**31}, "fiscal_year"),
    ("fiscal year huge", {"fiscal_year": 2**63}, "fiscal_year"),
    ("ancient date", {"start_date": "0001-01-01"}, "start_date"),
    ("date as a number", {"start_date": 0}, "start_date"),
    (
        "bad partner type",
        {"foreign_partners": [{"name": "x", "country": "MX", "partner_type": "spy"}]},
        "foreign_partners",
    ),
    ("too many tags", {"tags": [f"t{i}" for i in range(31)]}, "tags"),
    ("bad identifier", {"identifier": "has space"}, "identifier"),
]


@pytest.mark.parametrize(("case", "fields", "field"), INVALID_BODIES, ids=[c[0] for c in INVALID_BODIES])
async def test_invalid_body_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    case: str,
    fields: dict[str, Any],
    field: str,
) -> None:
    before = await count_activities(session)
    # json.dumps escapes a lone surrogate as \ud800, as a client in another language would send it.
    raw = json.dumps(activity(**fields))
    response = await client.post(
        API, content=raw, headers={**keys["admin"], "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 422 and problem["instance"] == API
    assert any(field in [str(p) for p in err["loc"]] for err in problem["errors"]), problem
    assert await count_activities(session) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lead_component": "XYZ"}, "lead_component"),
        ({"lead_component": "NPPD"}, "lead_component"),
        ({"participating_components": ["ICE", "NOPE"]}, "participating_components"),
        ({"strategic_goal_codes": ["NO-SUCH-GOAL"]}, "strategic_goal_codes"),
        ({"post_ids": ["00000000-0000-7000-8000-000000000000"]}, "post_ids"),
    ],
)
async def test_unknown_references_are_422(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, fields: dict[str, Any], field: str
) -> None:
    before = await count_activities(session)
    response = await client.post(API, json=activity(**fields), headers=keys["admin"])
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][:2] == ["body", field]
    assert await count_activities(session) == before


async def test_retired_component_names_its_successor(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(API, json=activity(lead_component="NPPD"), headers=keys["admin"])
    assert "CISA" in response.json()["detail"]


async def test_link_to_archived_post_is_422(client: httpx.AsyncClient, keys: Keys) -> None:
    made = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()
    archived = await client.delete(
        f"/api/v1/posts/{made['id']}", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    response = await client.post(API, json=activity(post_ids=[made["id"]]), headers=keys["admin"])
    assert response.status_code == 422


async def test_merge_patch_sets_clears_and_keeps(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"], description="old", tags=["a"])
    response = await client.patch(
        f"{API}/{record['id']}",
        content=b'{"title": "New title", "description": null, "tags": ["b", "c"]}',
        headers={**keys["cbp"], "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert response.headers["etag"] == '"2"'
    assert (updated["title"], updated["description"], updated["tags"]) == ("New title", None, ["b", "c"])
    assert updated["countries"] == record["countries"] and updated["version"] == 2


async def test_patch_needs_if_match(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"])
    url = f"{API}/{record['id']}"
    missing = await client.patch(url, json={"title": "x"}, headers=keys["cbp"])
    assert missing.status_code == 428
    stale = await client.patch(url, json={"title": "x"}, headers={**keys["cbp"], "If-Match": '"9"'})
    assert stale.status_code == 412
    weak = await client.patch(url, json={"title": "x"}, headers={**keys["cbp"], "If-Match": 'W/"1"'})
    assert weak.status_code == 412
    got = await client.get(url, headers=keys["cbp"])
    assert got.json()["title"] == record["title"] and got.json()["version"] == 1


async def test_patch_cannot_null_a_required_field_or_set_server_fields(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    record = await create(client, keys["cbp"])
    url, headers = f"{API}/{record['id']}", {**keys["cbp"], "If-Match": '"1"'}
    assert (await client.patch(url, json={"title": None}, headers=headers)).status_code == 422
    assert (await client.patch(url, json={"version": 5}, headers=headers)).status_code == 422
    ends = await client.patch(
        url, json={"start_date": "2024-05-01", "end_date": "2024-04-01"}, headers=headers
    )
    assert ends.status_code == 422
    assert ends.json()["errors"][0]["loc"] == ["body", "end_date"]


async def test_patch_other_content_type_is_415(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"])
    response = await client.patch(
        f"{API}/{record['id']}",
        content=b"title=x",
        headers={**keys["cbp"], "If-Match": '"1"', "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415


async def test_archive_hides_from_list_and_admin_restores(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"], identifier="ARCH-1")
    url = f"{API}/{record['id']}"
    assert (await client.delete(url, headers=keys["cbp"])).status_code == 428
    assert (await client.delete(url, headers={**keys["cbp"], "If-Match": '"1"'})).status_code == 204
    got = (await client.get(url, headers=keys["reader"])).json()
    assert got["archived_at"] is not None and got["version"] == 2
    listed = (await client.get(API, params={"limit": 200}, headers=keys["reader"])).json()["items"]
    assert record["id"] not in [a["id"] for a in listed]
    archived = await client.get(
        API, params={"include_archived": "true", "limit": 200}, headers=keys["reader"]
    )
    assert record["id"] in [a["id"] for a in archived.json()["items"]]
    patch = await client.patch(url, json={"title": "x"}, headers={**keys["cbp"], "If-Match": '"2"'})
    assert patch.status_code == 409
    assert (await client.post(f"{url}/restore", headers=keys["cbp"])).status_code == 403
    restored = await client.post(f"{url}/restore", headers=keys["admin"])
    assert restored.status_code == 200 and restored.json()["archived_at"] is None


async def test_history_lists_every_write_oldest_first(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    record = await create(client, keys["cbp"])
    url = f"{API}/{record['id']}"
    await client.patch(url, json={"status": "completed"}, headers={**keys["cbp"], "If-Match": '"1"'})
    await client.delete(url, headers={**keys["cbp"], "If-Match": '"2"'})
    await client.post(f"{url}/restore", headers=keys["admin"])
    history = (await client.get(f"{url}/history", headers=keys["reader"])).json()
    assert [(h["action"], h["version"]) for h in history["items"]] == [
        ("create", 1),
        ("update", 2),
        ("archive", 3),
        ("restore", 4),
    ]
    assert history["items"][1]["changes"] == {"status": {"before": "active", "after": "completed"}}
    assert history["items"][1]["actor"] == {"key_id": str(keys.ids["cbp"]), "name": "test-cbp"}
    assert history["next_cursor"] is None
    rows = await session.scalar(select(func.count()).where(AuditEntry.record_id == record["id"]))
    assert rows == 4


async def test_noop_patch_keeps_version(client: httpx.AsyncClient, keys: Keys) -> None:
    record = await create(client, keys["cbp"])
    same = await client.patch(
        f"{API}/{record['id']}", json={"title": record["title"]}, headers={**keys["cbp"], "If-Match": '"1"'}
    )
    assert same.status_code == 200 and same.json()["version"] == 1
