"""The recommendation status workflow: allowed and forbidden moves, notes, evidence, who may move what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuditEntry, RecommendationUpdate
from tests.conftest import Keys
from tests.factories import recommendation
from tests.support.problems import problem

URL = "/api/v1/recommendations"
U, R, CI, CN = "open_unresolved", "open_resolved", "closed_implemented", "closed_not_implemented"
PATH_TO = {U: [], R: [R], CI: [R, CI], CN: [R, CN]}  # admin moves that reach each state


async def written(session: AsyncSession) -> tuple[int, int]:
    updates = await session.scalar(select(func.count()).select_from(RecommendationUpdate))
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return updates or 0, audits or 0


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], rec_id: str, to: str, **extra: Any
) -> httpx.Response:
    body = {"to_status": to, "note": f"to {to}", **extra}
    return await client.post(f"{URL}/{rec_id}/updates", json=body, headers=headers)


async def rec_in(client: httpx.AsyncClient, keys: Keys, state: str, component: str = "CBP") -> dict[str, Any]:
    created = await client.post(
        URL, json=recommendation(responsible_component=component), headers=keys["admin"]
    )
    assert created.status_code == 201, created.text
    for to in PATH_TO[state]:
        assert (await move(client, keys["admin"], created.json()["id"], to)).status_code == 201
    got = await client.get(f"{URL}/{created.json()['id']}", headers=keys["admin"])
    assert got.json()["status"] == state
    return dict(got.json())


async def test_full_workflow(client: httpx.AsyncClient, keys: Keys) -> None:
    rec = await rec_in(client, keys, U)
    url = f"{URL}/{rec['id']}"
    resolved = await move(client, keys["cbp"], rec["id"], R, note=None)  # a note is optional until closing
    assert resolved.status_code == 201, resolved.text
    closed = await move(client, keys["cbp"], rec["id"], CI, evidence_url="https://example.gov/plan.pdf?v=2")
    assert closed.status_code == 201
    update = closed.json()
    assert (update["from_status"], update["to_status"], update["recommendation_id"]) == (R, CI, rec["id"])
    assert update["evidence_url"] == "https://example.gov/plan.pdf?v=2"
    assert update["actor"] == {"key_id": str(keys.ids["cbp"]), "name": "test-cbp"}
    record = (await client.get(url, headers=keys["reader"])).json()
    today = datetime.now(UTC).date().isoformat()
    assert (record["status"], record["closed_on"], record["version"]) == (CI, today, 3)
    assert record["updated_by"] == "test-cbp"
    reopened = await move(client, keys["admin"], rec["id"], U, note="Evidence was withdrawn.")
    assert reopened.status_code == 201
    record = (await client.get(url, headers=keys["reader"])).json()
    assert (record["status"], record["closed_on"], record["version"]) == (U, None, 4)
    listed = (await client.get(f"{url}/updates", headers=keys["reader"])).json()
    assert [(u["from_status"], u["to_status"]) for u in listed["items"]] == [(U, R), (R, CI), (CI, U)]
    assert [u["actor"]["name"] for u in listed["items"]] == ["test-cbp", "test-cbp", "test-admin"]
    assert listed["items"][0]["note"] is None and listed["next_cursor"] is None
    history = (await client.get(f"{url}/history", headers=keys["reader"])).json()["items"]
    assert [h["changes"].get("status", {}).get("after") for h in history] == [U, R, CI, U]
    assert history[2]["changes"]["closed_on"] == {"before": None, "after": today}
    assert history[3]["changes"]["closed_on"] == {"before": today, "after": None}


@pytest.mark.parametrize(("state", "to"), [(CI, R), (CN, U), (CN, R)])
async def test_admin_reopens(client: httpx.AsyncClient, keys: Keys, state: str, to: str) -> None:
    rec = await rec_in(client, keys, state)
    assert (await move(client, keys["admin"], rec["id"], to)).status_code == 201
    assert (await client.get(f"{URL}/{rec['id']}", headers=keys["reader"])).json()["closed_on"] is None


@pytest.mark.parametrize("state", [CI, CN])
@pytest.mark.parametrize("to", [U, R])
async def test_editor_cannot_reopen(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, state: str, to: str
) -> None:
    """The move exists but is admin-only, so an editor gets 403 (its role), not 409 (the state)."""
    rec = await rec_in(client, keys, state)
    before = await written(session)
    assert "admin" in problem(await move(client, keys["cbp"], rec["id"], to), 403)["detail"]
    assert await written(session) == before


FORBIDDEN = [
    (U, U, "admin", [R]),
    (U, CI, "cbp", [R]),
    (U, CN, "admin", [R]),
    (R, R, "cbp", [CI, CN]),
    (R, U, "admin", [CI, CN]),
    (R, U, "cbp", [CI, CN]),
    (CI, CI, "admin", [R, U]),
    (CI, CN, "admin", [R, U]),
    (CI, CN, "cbp", []),
    (CN, CN, "cbp", []),
    (CN, CI, "admin", [R, U]),
]


@pytest.mark.parametrize(("state", "to", "who", "allowed"), FORBIDDEN)
async def test_forbidden_moves_are_409_naming_allowed(
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    state: str,
    to: str,
    who: str,
    allowed: list[str],
) -> None:
    rec = await rec_in(client, keys, state)
    before = await written(session)
    body = problem(await move(client, keys[who], rec["id"], to), 409)
    assert (body["from_status"], body["to_status"], body["allowed"]) == (state, to, allowed)
    assert all(a in body["detail"] for a in allowed)
    assert await written(session) == before
    record = (await client.get(f"{URL}/{rec['id']}", headers=keys["reader"])).json()
    assert (record["status"], record["version"]) == (state, rec["version"])


@pytest.mark.parametrize("note", [None, "", "   "])
@pytest.mark.parametrize("to", [CI, CN])
async def test_closing_needs_a_note(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, note: str | None, to: str
) -> None:
    rec = await rec_in(client, keys, R)
    before = await written(session)
    body = {"to_status": to} if note is None else {"to_status": to, "note": note}
    refused = await client.post(f"{URL}/{rec['id']}/updates", json=body, headers=keys["admin"])
    assert problem(refused, 422)["errors"][0]["loc"] == ["body", "note"]
    assert await written(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_status": R, "evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"to_status": R, "evidence_url": "file:///etc/passwd"}, "evidence_url"),
        ({"to_status": R, "evidence_url": "ftp://example.gov/x"}, "evidence_url"),
        ({"to_status": R, "evidence_url": "https://"}, "evidence_url"),
        ({"to_status": R, "evidence_url": "https://example.gov/a b"}, "evidence_url"),
        ({"to_status": R, "evidence_url": "https://x.gov/" + "a" * 2000}, "evidence_url"),
        ({"to_status": "done"}, "to_status"),
        ({"note": "no target"}, "to_status"),
        ({"to_status": R, "note": "x\u0000"}, "note"),
        ({"to_status": R, "from_status": U}, "from_status"),
        ({"to_status": R, "actor_name": "someone"}, "actor_name"),
    ],
)
async def test_update_validation(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, body: dict[str, Any], field: str
) -> None:
    rec = await rec_in(client, keys, U)
    before = await written(session)
    refused = await client.post(f"{URL}/{rec['id']}/updates", json=body, headers=keys["admin"])
    assert field in problem(refused, 422)["errors"][0]["loc"]
    assert await written(session) == before


async def test_who_may_post_updates(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    cbp = await rec_in(client, keys, U, component="CBP")
    ice = await rec_in(client, keys, U, component="ICE")
    before = await written(session)
    assert "ICE" in problem(await move(client, keys["cbp"], ice["id"], R), 403)["detail"]
    problem(await move(client, keys["reader"], cbp["id"], R), 403)
    problem(await move(client, {}, cbp["id"], R), 401)
    assert await written(session) == before
    assert (await move(client, keys["cbp"], cbp["id"], R)).status_code == 201
    assert (await move(client, keys["ice"], ice["id"], R)).status_code == 201
    problem(await move(client, keys["admin"], str(uuid.uuid4()), R), 404)
    problem(await client.get(f"{URL}/{uuid.uuid4()}/updates", headers=keys["reader"]), 404)


async def test_archived_recommendation_takes_no_updates(client: httpx.AsyncClient, keys: Keys) -> None:
    rec = await rec_in(client, keys, U)
    gone = await client.delete(f"{URL}/{rec['id']}", headers={**keys["admin"], "If-Match": '"1"'})
    assert gone.status_code == 204
    assert "archived" in problem(await move(client, keys["admin"], rec["id"], R), 409)["detail"]


async def test_updates_pagination_and_replay(client: httpx.AsyncClient, keys: Keys) -> None:
    rec = await rec_in(client, keys, CI)  # two updates so far
    headers = {**keys["admin"], "Idempotency-Key": "reopen-1"}
    first = await move(client, headers, rec["id"], R)
    again = await move(client, headers, rec["id"], R)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    problem(await move(client, headers, rec["id"], U), 422)  # same key, other body
    seen, url = [], f"{URL}/{rec['id']}/updates?limit=1"
    while url:
        page = (await client.get(url, headers=keys["reader"])).json()
        seen += page["items"]
        url = f"{URL}/{rec['id']}/updates?limit=1&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert [u["to_status"] for u in seen] == [R, CI, R]
    assert len({u["id"] for u in seen}) == 3
