"""GET /<resource>/export: streamed CSV (RFC 4180, formula-safe) and NDJSON with the list's filters."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.schemas import ActivityCreate
from service.bulk.csv_codec import decode_cell, field_kinds
from service.bulk.settings import get_bulk_settings
from tests.conftest import Keys
from tests.factories import activity, post

URL = "/api/v1/activities/export"
ROWS = 300  # more than the largest list page (200) and, below, than three cursor batches


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


@pytest.fixture
async def stored(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> dict[str, dict[str, Any]]:
    """300 activities of two components, one of them with a formula-looking title; by identifier."""
    monkeypatch.setattr(get_bulk_settings(), "export_batch_rows", 97)
    rows = [
        activity(
            lead_component="CBP" if n % 3 else "ICE",
            countries=["MX", "GT"] if n % 2 else ["NL"],
            tags=["bulk", f"n{n}"],
            description=f'line one\r\nline two, "quoted" {n}' if n % 5 == 0 else None,
            estimated_cost=1000.5 + n if n % 4 == 0 else None,
            currency="USD" if n % 4 == 0 else None,
            foreign_partners=[{"name": "Aduana, MX", "country": "MX", "partner_type": "customs"}]
            if n % 7
            else [],
        )
        for n in range(ROWS)
    ]
    rows[0] |= {"identifier": "EXP-FORMULA", "title": '=HYPERLINK("http://x")'}
    rows[1] |= {"identifier": "EXP-MINUS", "title": "-5 days"}
    response = await client.post(
        "/api/v1/activities/import",
        content=ndjson(rows),
        headers={**keys["admin"], "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 201, response.text
    listed: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/activities", params=params, headers=keys["reader"])).json()
        listed |= {item["identifier"]: item for item in page["items"]}
        if not (cursor := page["next_cursor"]):
            return listed


async def test_ndjson_export_streams_every_row_as_the_api_shows_it(
    client: httpx.AsyncClient, keys: Keys, stored: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(URL, params={"format": "ndjson"}, headers=keys["reader"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"].startswith('attachment; filename="activities-')
    lines = response.text.split("\n")
    assert lines[-1] == ""  # every line ends with \n
    exported = [json.loads(line) for line in lines[:-1]]
    assert len(exported) == ROWS
    assert {row["identifier"]: row for row in exported} == stored
    assert [row["id"] for row in exported] == sorted(row["id"] for row in exported)


async def test_csv_export_is_rfc4180_formula_safe_and_round_trips(
    client: httpx.AsyncClient, keys: Keys, stored: dict[str, dict[str, Any]]
) -> None:
    response = await client.get(URL, params={"format": "csv"}, headers=keys["reader"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert response.headers["content-disposition"].endswith('.csv"')
    text = response.content.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # CRLF only (none bare)
    header, *records = list(csv.reader(io.StringIO(text, newline="")))
    assert header[0] == "id" and "identifier" in header and "version" in header
    assert len(records) == ROWS
    by_identifier = {
        record[header.index("identifier")]: dict(zip(header, record, strict=True)) for record in records
    }

    assert by_identifier["EXP-FORMULA"]["title"] == '\'=HYPERLINK("http://x")'  # text to a spreadsheet
    assert by_identifier["EXP-MINUS"]["title"] == "'-5 days"

    kinds = field_kinds(ActivityCreate)
    for identifier, record in stored.items():
        cells = by_identifier[identifier]
        values = {
            name: value
            for name, kind in kinds.items()
            if (value := decode_cell(kind, cells[name])) is not ...
        }
        round_trip = ActivityCreate.model_validate(values).model_dump(mode="json")
        assert round_trip == {name: record[name] for name in kinds}, identifier
        assert cells["id"] == record["id"] and cells["version"] == "1"
        assert cells["archived_at"] == "" and cells["created_at"] == record["created_at"]


async def test_filters_are_the_lists_and_archived_rows_are_left_out(
    client: httpx.AsyncClient, keys: Keys, stored: dict[str, dict[str, Any]]
) -> None:
    async def exported(**params: Any) -> list[dict[str, Any]]:
        response = await client.get(URL, params={"format": "ndjson", **params}, headers=keys["reader"])
        assert response.status_code == 200, response.text
        return [json.loads(line) for line in response.text.splitlines()]

    ice = await exported(component="ICE")
    assert len(ice) == 100 and {r["lead_component"] for r in ice} == {"ICE"}
    netherlands_cbp = await exported(component="CBP", country="NL")
    assert {r["identifier"] for r in netherlands_cbp} == {
        i for i, r in stored.items() if r["lead_component"] == "CBP" and r["countries"] == ["NL"]
    }
    assert await exported(country="GT", type="investigation") == []
    assert [r["identifier"] for r in await exported(q="hyperlink")] == ["EXP-FORMULA"]

    victim = next(iter(stored.values()))
    archived = await client.delete(
        f"/api/v1/activities/{victim['id']}", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    live = await exported()
    assert len(live) == ROWS - 1 and victim["id"] not in {r["id"] for r in live}
    everything = await exported(include_archived="true")
    assert len(everything) == ROWS
    assert next(r for r in everything if r["id"] == victim["id"])["archived_at"] is not None


async def test_bad_filters_and_formats_are_422_and_a_key_is_required(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    for params in ({"format": "xlsx"}, {"country": "ZZ"}, {"component": "NOPE"}, {"type": "spying"}):
        response = await client.get(URL, params=params, headers=keys["reader"])
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(URL)).status_code == 401


async def test_reference_data_exports_too(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    created = await client.post("/api/v1/posts", json=post(name="=cmd|' /C calc'!A0"), headers=keys["admin"])
    assert created.status_code == 201
    response = await client.get("/api/v1/posts/export", headers=keys["reader"])
    header, *records = list(csv.reader(io.StringIO(response.text, newline="")))
    names = [dict(zip(header, r, strict=True))["name"] for r in records]
    assert "'=cmd|' /C calc'!A0" in names
    components = await client.get(
        "/api/v1/components/export", params={"format": "ndjson"}, headers=keys["cbp"]
    )
    codes = [json.loads(line)["code"] for line in components.text.splitlines()]
    assert "CBP" in codes and "NPPD" in codes
