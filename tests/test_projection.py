"""The fast read path cannot drift from the schema: for every resource, the JSON PostgreSQL builds
for a row (GET by id, list pages) equals the pydantic read model's output for the same row."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.db import driver_connection
from service.records import sql as records
from service.records.store import RecordStore
from service.resources import STORES
from tests.conftest import Keys
from tests.factories import activity, post, posting, recommendation, trip

FULL_ACTIVITY: dict[str, Any] = {
    "description": "Every optional field filled, with unicode: Ciudad Juárez, Москва",
    "participating_components": ["ICE", "USCG"],
    "foreign_partners": [{"name": "Aduanas", "country": "MX", "partner_type": "customs"}],
    "strategic_goal_codes": ["QHSR23-M2"],
    "start_date": "2024-10-01",
    "end_date": "2025-09-30",
    "estimated_cost": 1250000.55,
    "currency": "USD",
    "fiscal_year": 2025,
    "sensitivity": "sbu",
    "tags": ["csi", "ports"],
}


async def one_of_each(client: httpx.AsyncClient, keys: Keys) -> dict[str, Any]:
    """A record of every resource with as many fields set as its schema allows; key -> by collection."""
    admin = keys["admin"]
    made: dict[str, Any] = {"components": "CBP", "strategic-goals": "QHSR23-M2"}
    made["posts"] = (await client.post("/api/v1/posts", json=post(), headers=admin)).json()["id"]
    body = activity(post_ids=[made["posts"]], **FULL_ACTIVITY)
    made["activities"] = (await client.post("/api/v1/activities", json=body, headers=admin)).json()["id"]
    body = posting(
        made["posts"],
        activity_ids=[made["activities"]],
        fte=0.75,
        status="filled",
        tour_start="2024-08-01",
        tour_end="2027-07-31",
        annual_cost=250000.10,
        currency="USD",
        nsdd38_decided_on="2024-05-01",
    )
    made["postings"] = (await client.post("/api/v1/postings", json=body, headers=admin)).json()["id"]
    body = recommendation(activity_ids=[made["activities"]], posting_ids=[made["postings"]], priority=True)
    made["recommendations"] = (await client.post("/api/v1/recommendations", json=body, headers=admin)).json()[
        "id"
    ]
    body = trip(
        countries=["MX", "GT"],
        post_ids=[made["posts"]],
        activity_ids=[made["activities"]],
        travelers=4,
        clearance_status="approved",
        clearance_decided_on="2027-02-01",
        sensitivity="public",
    )
    made["trips"] = (await client.post("/api/v1/trips", json=body, headers=admin)).json()["id"]
    return made


@pytest.mark.parametrize("store", [s for s in STORES if s.projection is not None], ids=lambda s: s.spec.name)
async def test_postgres_json_equals_the_read_model(
    store: RecordStore, client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    made = await one_of_each(client, keys)
    key = made[store.spec.name]
    row = await records.fetch(session, store.spec, key)
    assert row is not None
    expected = store.to_read(row).model_dump(mode="json")

    admin = Principal.system("test")
    found = await records.fetch_json(await driver_connection(session), str(store.lookup_sql(admin)), key)
    assert found is not None
    assert json.loads(found[0]) == expected

    # The list page is rendered by the same projection.
    listed = await client.get(f"/api/v1/{store.spec.name}", params={"limit": 200}, headers=keys["admin"])
    items = [item for item in listed.json()["items"] if item[store.spec.key] == str(key)]
    assert items == [expected]


def outside_strings(document: str) -> str:
    """The JSON text with every string literal emptied: what is left is structure and numbers."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', document)


@pytest.mark.parametrize("store", [s for s in STORES if s.lookup_sql], ids=lambda s: s.spec.name)
async def test_get_and_list_send_the_same_compact_bytes(
    store: RecordStore, client: httpx.AsyncClient, keys: Keys
) -> None:
    """One format: GET by id sends exactly the bytes the list page sends for that record, compact
    (no whitespace outside strings, nested objects included) and in the read model's field order."""
    made = await one_of_each(client, keys)
    key = str(made[store.spec.name])
    got = await client.get(f"/api/v1/{store.spec.name}/{key}", headers=keys["admin"])
    assert got.status_code == 200, got.text
    document = got.text
    assert not re.search(r"\s", outside_strings(document)), document
    assert list(json.loads(document)) == list(store.read_model.model_fields)
    listed = await client.get(f"/api/v1/{store.spec.name}", params={"limit": 200}, headers=keys["admin"])
    assert listed.text.startswith('{"items":[') and document in listed.text
    assert not re.search(r"\s", outside_strings(listed.text))
