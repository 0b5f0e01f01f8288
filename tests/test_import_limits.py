"""What an import holds and answers is bounded (issue 19, findings 5 and 7): a record that would read as
two rows is refused naming the row, a CSV header's columns and errors are capped, and one record (CSV
or NDJSON) may not grow past IMPORT_MAX_RECORD_BYTES."""

from __future__ import annotations

import httpx

from tests.conftest import Keys
from tests.support.problems import problem

URL = "/api/v1/activities/import"
HEADER = b"identifier,title,activity_type,status,lead_component,countries\r\n"


async def post(client: httpx.AsyncClient, keys: Keys, body: bytes, kind: str = "text/csv") -> httpx.Response:
    return await client.post(URL, content=body, headers={**keys["admin"], "Content-Type": kind})


async def test_a_bare_cr_record_is_refused_naming_its_row(client: httpx.AsyncClient, keys: Keys) -> None:
    body = (
        HEADER
        + b"LIM-1,One,other,active,CBP,MX\r\n"
        + b"LIM-2,Two,other,active,CBP,MX\r"  # a bare CR: a spreadsheet would see two rows here
        + b"LIM-3,Three,other,active,CBP,MX\r\n"
    )
    errors = problem(await post(client, keys, body), 422)["errors"]
    assert errors[0]["loc"] == ["row", 2] and "bare CR" in errors[0]["msg"]
    quoted = HEADER + b'LIM-4,"Two\rlines",other,active,CBP,MX\r\n'  # inside quotes a CR is data
    assert (await post(client, keys, quoted)).json() == {
        "imported": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    cr_only = HEADER.replace(b"\r\n", b"\r") + b"LIM-5,Five,other,active,CBP,MX\r"
    assert "not valid CSV" in problem(await post(client, keys, cr_only), 422)["detail"]


async def test_header_errors_and_columns_are_capped(client: httpx.AsyncClient, keys: Keys) -> None:
    many = ",".join(f"nope_{n}" for n in range(101)).encode() + b"\r\n"
    answer = problem(await post(client, keys, many), 422)
    assert "at most 100" in answer["detail"] and len(answer["errors"]) == 1
    repeated = ",".join(["title"] * 80).encode() + b"\r\n"
    answer = problem(await post(client, keys, repeated), 422)
    assert len(answer["errors"]) == 50 and "first 50 of 79" in answer["detail"]


async def test_a_record_past_the_cap_is_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    endless = HEADER + b'LIM-6,"' + b"x" * (1_100_000) + b'",other,active,CBP,MX\r\n'
    assert problem(await post(client, keys, endless), 422)["errors"][0]["loc"] == ["row", 1]
    line = b'{"identifier": "LIM-7", "title": "' + b"y" * 1_100_000
    answer = problem(await post(client, keys, line, "application/x-ndjson"), 422)
    assert answer["errors"][0]["loc"] == ["row", 1] and "line break" in answer["detail"]
