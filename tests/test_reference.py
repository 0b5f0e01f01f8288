"""Components, posts and strategic goals: the reference data activities point to."""

from __future__ import annotations

import httpx

from tests.conftest import Keys
from tests.factories import activity, post


async def test_components_ship_with_the_migrations(client: httpx.AsyncClient, keys: Keys) -> None:
    items = (await client.get("/api/v1/components", params={"limit": 200}, headers=keys["reader"])).json()[
        "items"
    ]
    codes = {c["code"]: c for c in items}
    for code in (
        "CBP",
        "ICE",
        "USCG",
        "TSA",
        "USCIS",
        "USSS",
        "FEMA",
        "FLETC",
        "S&T",
        "I&A",
        "CISA",
        "CWMD",
        "OBIM",
        "OPS",
        "PLCY",
        "OIA",
        "MGMT",
    ):
        assert codes[code]["active"] is True, code
    assert codes["NPPD"]["active"] is False and codes["NPPD"]["successor_code"] == "CISA"
    retired = (
        await client.get("/api/v1/components", params={"active": "false"}, headers=keys["reader"])
    ).json()
    assert {c["code"] for c in retired["items"]} == {"NPPD", "US-VISIT", "DNDO", "OHA"}


async def test_component_with_ampersand_in_path(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get("/api/v1/components/S%26T", headers=keys["reader"])
    assert response.status_code == 200 and response.json()["code"] == "S&T"


async def test_admin_adds_and_retires_a_component(client: httpx.AsyncClient, keys: Keys) -> None:
    made = await client.post(
        "/api/v1/components", json={"code": "NEWC", "name": "New"}, headers=keys["admin"]
    )
    assert made.status_code == 201
    dup = await client.post(
        "/api/v1/components", json={"code": "NEWC", "name": "Again"}, headers=keys["admin"]
    )
    assert dup.status_code == 409
    retire = await client.patch(
        "/api/v1/components/NEWC",
        json={"active": False, "successor_code": "CBP"},
        headers={**keys["admin"], "If-Match": '"1"'},
    )
    assert retire.status_code == 200 and retire.json()["successor_code"] == "CBP"
    bad = await client.patch(
        "/api/v1/components/NEWC",
        json={"successor_code": "NOPE"},
        headers={**keys["admin"], "If-Match": '"2"'},
    )
    assert bad.status_code == 422
    rename = await client.patch(
        "/api/v1/components/NEWC", json={"code": "OTHER"}, headers={**keys["admin"], "If-Match": '"2"'}
    )
    assert rename.status_code == 422


async def test_strategic_goals_ship_qhsr_missions(client: httpx.AsyncClient, keys: Keys) -> None:
    items = (await client.get("/api/v1/strategic-goals", headers=keys["reader"])).json()["items"]
    assert [g["code"] for g in items] == [f"QHSR23-M{n}" for n in range(1, 7)]
    assert {g["framework"] for g in items} == {"QHSR-2023"}


async def test_goal_in_use_cannot_be_archived(client: httpx.AsyncClient, keys: Keys) -> None:
    await client.post(
        "/api/v1/activities", json=activity(strategic_goal_codes=["QHSR23-M1"]), headers=keys["cbp"]
    )
    response = await client.delete(
        "/api/v1/strategic-goals/QHSR23-M1", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert response.status_code == 409 and "1 live activities" in response.json()["detail"]


async def test_posts_crud_and_filters(client: httpx.AsyncClient, keys: Keys) -> None:
    mx = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()
    nl = (
        await client.post("/api/v1/posts", json=post(city="The Hague", country="NL"), headers=keys["admin"])
    ).json()
    listed = await client.get("/api/v1/posts", params={"country": "NL", "limit": 200}, headers=keys["reader"])
    assert [p["id"] for p in listed.json()["items"]] == [nl["id"]]
    bad = await client.post("/api/v1/posts", json=post(post_type="palace"), headers=keys["admin"])
    assert bad.status_code == 422
    dup = await client.post("/api/v1/posts", json=post(name=mx["name"]), headers=keys["admin"])
    assert dup.status_code == 409


async def test_post_in_use_cannot_be_archived(client: httpx.AsyncClient, keys: Keys) -> None:
    made = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()
    await client.post("/api/v1/activities", json=activity(post_ids=[made["id"]]), headers=keys["cbp"])
    response = await client.delete(
        f"/api/v1/posts/{made['id']}", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert response.status_code == 409
