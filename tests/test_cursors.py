"""Cursors are signed, typed and bounded (issue 19, findings 4 and 6): a forged, altered or mistyped
cursor is a 400 on every route that takes one, never a 5xx; a cursor's size does not grow with the data,
and a long sort value (carried as a prefix and a digest) still seeks exactly."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from service.records.cursor import seal
from tests.conftest import Keys
from tests.factories import activity
from tests.support.problems import problem

URL = "/api/v1/activities"
CYRILLIC = "Сотрудничество пограничных служб по вопросам безопасности грузов и пассажиров "


def forged(payload: Any) -> str:
    """A well-formed but unsigned cursor, as a client would make one (base64url JSON)."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw + b"\0" * 16).decode().rstrip("=")


async def create(client: httpx.AsyncClient, keys: Keys, **fields: Any) -> dict[str, Any]:
    created = await client.post(URL, json=activity(**fields), headers=keys["admin"])
    assert created.status_code == 201, created.text
    return dict(created.json())


async def walk(client: httpx.AsyncClient, keys: Keys, sort: str, limit: int = 2) -> tuple[list[str], int]:
    ids, cursor, longest = [], None, 0
    while True:
        params = {"sort": sort, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await client.get(URL, params=params, headers=keys["reader"])
        assert page.status_code == 200, page.text
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return ids, longest
        longest = max(longest, len(cursor))


async def test_long_titles_page_with_short_cursors(client: httpx.AsyncClient, keys: Keys) -> None:
    """Titles of 120-300 Cyrillic characters sharing long prefixes (so truncated values tie) page in
    exact order, both ways, with cursors far under the 500-character cap."""
    rows = []
    for n in range(9):
        title = (CYRILLIC * 4)[: 120 + 20 * n] if n % 3 else (CYRILLIC * 4)[:120]
        rows.append(await create(client, keys, title=title + f" {n % 4}"))
    rows.append(await create(client, keys, title="Короткое"))
    for descending in (False, True):
        expected = [r["id"] for r in sorted(rows, key=lambda r: (r["title"], r["id"]), reverse=descending)]
        got, longest = await walk(client, keys, ("-" if descending else "") + "title")
        assert got == expected
        assert 0 < longest < 250


async def test_an_edited_row_under_a_truncated_cursor_skips_nothing(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    """The row a long-title cursor names changes its title between pages: the seek falls back to the
    prefix, which may repeat rows but never skips one."""
    long = CYRILLIC * 2
    rows = [await create(client, keys, title=long + suffix) for suffix in "abcdef"]
    for sort in ("title", "-title"):
        first = await client.get(URL, params={"sort": sort, "limit": 3}, headers=keys["reader"])
        last = first.json()["items"][-1]
        patched = await client.patch(
            f"{URL}/{last['id']}",
            json={"title": "Ё moved " + sort},
            headers={**keys["admin"], "If-Match": f'"{last["version"]}"'},
        )
        assert patched.status_code == 200, patched.text
        rest, cursor = [], first.json()["next_cursor"]
        while cursor:
            page = await client.get(URL, params={"sort": sort, "cursor": cursor}, headers=keys["reader"])
            rest += [item["id"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
        seen = {item["id"] for item in first.json()["items"]} | set(rest)
        assert {r["id"] for r in rows} <= seen


def other_routes(record_id: str) -> list[str]:
    return [
        f"{URL}/{record_id}/history?cursor=",
        "/api/v1/changes?after=",
        "/api/v1/coordination/overlaps?cursor=",
        f"{URL}?sort=identifier&cursor=",
        f"{URL}?sort=-start_date&cursor=",
        f"{URL}?sort=estimated_cost&cursor=",
        f"{URL}?q=port&cursor=",
        "/api/v1/postings?sort=tour_end&cursor=",
        "/api/v1/components?cursor=",
    ]


FORGERIES: list[Any] = [
    {"s": "identifier", "v": 12, "i": "01900000-0000-7000-8000-000000000000"},
    {"s": "seq", "v": "seven", "i": "seven"},
    {"s": "seq", "v": 2**70, "i": 2**70},
    {"s": "-start_date", "v": "not a date", "i": "x"},
    {"s": "estimated_cost", "v": "1e400", "i": "01900000-0000-7000-8000-000000000000"},
    {"s": "rank", "q": "x", "v": "NaN", "i": "x"},
    [1, 2, 3],
    b"\xff\xfe not json",
    "null",
]


@pytest.mark.parametrize("payload", FORGERIES)
async def test_forged_cursors_are_400_everywhere(client: httpx.AsyncClient, keys: Keys, payload: Any) -> None:
    record = await create(client, keys)
    for route in other_routes(record["id"]):
        cursor = forged(payload if not isinstance(payload, str) else json.loads(payload))
        response = await client.get(route + cursor, headers=keys["reader"])
        problem(response, 400)


async def test_a_signed_cursor_with_a_mistyped_value_is_still_400(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    """Even with the secret (say it leaked), a value that does not fit its column never reaches SQL."""
    record = await create(client, keys)
    cases = [
        (f"{URL}?sort=identifier&cursor=", "activities", {"s": "identifier", "v": 12, "i": record["id"]}),
        (f"{URL}?sort=start_date&cursor=", "activities", {"s": "start_date", "v": "2024-13-01", "i": "x"}),
        ("/api/v1/changes?after=", "audit_log", {"s": "seq", "v": 2**70, "i": 2**70}),
        (f"{URL}/{record['id']}/history?cursor=", "audit_log", {"s": "seq", "v": "1", "i": "1"}),
        (f"{URL}?sort=title&cursor=", "activities", {"s": "title", "v": {"p": "x", "h": "zz"}, "i": "x"}),
    ]
    for route, scope, payload in cases:
        problem(await client.get(route + seal(scope, payload), headers=keys["reader"]), 400)


async def test_an_altered_cursor_is_400(client: httpx.AsyncClient, keys: Keys) -> None:
    for _ in range(3):
        await create(client, keys)
    cursor = (await client.get(URL, params={"limit": 1}, headers=keys["reader"])).json()["next_cursor"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[5] ^= 1
    altered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    problem(await client.get(URL, params={"limit": 1, "cursor": altered}, headers=keys["reader"]), 400)
    problem(await client.get(URL, params={"cursor": cursor[:-3]}, headers=keys["reader"]), 400)
    other = await client.get("/api/v1/postings", params={"cursor": cursor}, headers=keys["reader"])
    problem(other, 400)  # signed for another table


async def test_a_change_feed_cursor_from_before_signing_still_reads(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    """Integrators keep their feed position for as long as they sync: a 1.0 cursor (unsigned base64url
    JSON of a seq) goes on working; a malformed one is still a 400."""
    await create(client, keys)
    await create(client, keys)
    feed = (await client.get("/api/v1/changes", headers=keys["reader"])).json()["items"]
    seq = feed[-2]["seq"]
    legacy = base64.urlsafe_b64encode(json.dumps({"s": "seq", "v": seq, "i": seq}).encode()).decode()
    after = await client.get("/api/v1/changes", params={"after": legacy.rstrip("=")}, headers=keys["reader"])
    assert [c["seq"] for c in after.json()["items"]] == [feed[-1]["seq"]]
    for bad in (
        {"s": "seq", "v": 2**70, "i": 2**70},
        {"s": "seq", "v": 1, "i": 2},
        {"s": "id", "v": 1, "i": 1},
    ):
        raw = base64.urlsafe_b64encode(json.dumps(bad).encode()).decode().rstrip("=")
        problem(await client.get("/api/v1/changes", params={"after": raw}, headers=keys["reader"]), 400)
