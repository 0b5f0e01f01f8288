"""Issue 19 against a real server (`oia serve`) over 10,000 activities whose descriptions repeat a few
words: a common word is no denial of service (finding 2); forged cursors are 400s and long titles page
(4, 6); CSV rows are never dropped and header errors are capped (5, 7); `Host` is not trusted and a
failing export is a problem, not a 200 cut off (8)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer, admin_key, live_server
from tests.support.raw_http import connect, head, read_answer

API = "/api/v1/activities"
LOREM = "lorem ipsum dolor sit amet consectetur " * 40
CYRILLIC = "Сотрудничество пограничных служб по вопросам безопасности грузов и пассажиров "


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def row(identifier: str, **fields: Any) -> dict[str, Any]:
    body = {
        "identifier": identifier,
        "title": identifier,
        "activity_type": "other",
        "status": "active",
        "lead_component": "CBP",
        "countries": ["MX"],
    }
    return {**body, **fields}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("hostile-data")) as server:
        rows = [row(f"LOREM-{n:05d}", title=f"Report {n}", description=LOREM) for n in range(10_000)]
        created = httpx.post(
            f"{server.base_url}{API}/import",
            content=ndjson(rows),
            headers={**bearer(server.key), "Content-Type": "application/x-ndjson"},
            timeout=300,
        )
        assert created.status_code == 201, created.text
        yield server


def get(live: LiveServer, path: str, key: str | None = None, **params: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = httpx.get(f"{live.base_url}{path}", params=params, headers=bearer(key or live.key), timeout=30)
    return answer, time.monotonic() - started


@pytest.mark.parametrize("q", ["lorem ipsum", "lorem ipsum dolor", '"ipsum dolor"', "lorem or nothing"])
def test_a_search_over_10000_matches_answers_within_2_s(live: LiveServer, q: str) -> None:
    first, took = get(live, API, q=q)
    assert first.status_code == 200 and took < 2, (first.text[:300], took)
    assert first.headers["OIA-Search-Order"] == "recency" and len(first.json()["items"]) == 50
    second, took = get(live, API, q=q, cursor=first.json()["next_cursor"])
    assert second.status_code == 200 and took < 2
    assert not {i["id"] for i in first.json()["items"]} & {i["id"] for i in second.json()["items"]}


def test_narrow_searches_are_still_ranked(live: LiveServer) -> None:
    answer, took = get(live, API, q="report 7 -amet or report 77")
    assert answer.status_code == 200 and took < 2
    ranked, _ = get(live, API, q='"report 4242"')
    assert ranked.headers["OIA-Search-Order"] == "relevance"
    assert [i["identifier"] for i in ranked.json()["items"]] == ["LOREM-04242"]
    nothing, _ = get(live, API, q="lorem -ipsum")
    assert nothing.json()["items"] == []


def test_thirty_concurrent_searches_leave_other_requests_alone(live: LiveServer) -> None:
    keys = [admin_key(live.database_url, f"searcher-{n}")[1] for n in range(3)]

    def search(n: int) -> tuple[int, float]:
        answer, took = get(live, API, keys[n % 3], q="lorem ipsum dolor", limit=200)
        return answer.status_code, took

    with ThreadPoolExecutor(max_workers=30) as pool:
        searches = [pool.submit(search, n) for n in range(30)]
        time.sleep(0.3)
        for path in ("/health/ready", f"{API}?limit=50", f"{API}/export?format=ndjson&status=planned"):
            answer, took = get(live, path)
            # "Not stuck behind the searches" (they would wait for the whole queue, 10 s and more), with
            # room for a shared, loaded 2-core machine: 3 s was missed by 0.04 s there once.
            assert answer.status_code == 200 and took < 6, (path, answer.status_code, took)
        results = [s.result() for s in searches]
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 12, statuses
    assert max(took for _, took in results) < 12


FORGED = [
    {"s": "identifier", "v": 12, "i": "01900000-0000-7000-8000-000000000000"},
    {"s": "seq", "v": 2**70, "i": 2**70},
    {"s": "seq", "v": "x", "i": "not a number"},
]


def test_forged_cursors_are_400(live: LiveServer) -> None:
    import base64

    some_id = get(live, API, limit=1)[0].json()["items"][0]["id"]
    routes = [
        (API, {"sort": "identifier"}),
        ("/api/v1/changes", {}),
        (f"{API}/{some_id}/history", {}),
        (API, {"q": "lorem"}),
    ]
    for payload in FORGED:
        raw = json.dumps(payload).encode() + b"0123456789abcdef"
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        for path, params in routes:
            name = "after" if path.endswith("changes") else "cursor"
            answer, _ = get(live, path, **params, **{name: cursor})
            assert answer.status_code == 400, (path, payload, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")


def test_long_cyrillic_titles_page_to_the_end(live: LiveServer) -> None:
    titles = [(CYRILLIC * 2)[: 120 + n] for n in range(5)]
    rows = [row(f"CYR-{n}", title=t) for n, t in enumerate(titles)]
    made = httpx.post(
        f"{live.base_url}{API}/import",
        content=ndjson(rows),
        headers={**bearer(live.key), "Content-Type": "application/x-ndjson"},
    )
    assert made.status_code == 201
    for sort in ("-title", "title"):
        seen: list[str] = []
        cursor = None
        start = {"q": "сотрудничество"} if sort == "title" else {}  # ascending: Cyrillic comes last
        for _ in range(10):
            params = {"sort": sort, "limit": 1, **start, **({"cursor": cursor} if cursor else {})}
            answer, _ = get(live, API, **params)
            assert answer.status_code == 200, answer.text
            seen += [i["title"] for i in answer.json()["items"]]
            cursor = answer.json()["next_cursor"]
            if cursor is None or len(seen) == 5:
                break
            assert len(cursor) < 250
        assert sorted(seen) == sorted(titles), sort


def csv_import(live: LiveServer, body: bytes) -> httpx.Response:
    headers = {**bearer(live.key), "Content-Type": "text/csv"}
    return httpx.post(f"{live.base_url}{API}/import", content=body, headers=headers, timeout=30)


def test_a_bare_cr_is_a_422_naming_the_row_never_a_dropped_row(live: LiveServer) -> None:
    header = b"identifier,title,activity_type,status,lead_component,countries\r\n"
    rows = [
        b"CR-1,One,other,active,CBP,MX\r\n",
        b"CR-2,Two,other,active,CBP,MX\r",
        b"CR-3,Three,other,active,CBP,MX\r\n",
    ]
    answer = csv_import(live, header + b"".join(rows))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][:2] == ["row", 2]
    cr_only = csv_import(
        live, header.replace(b"\r\n", b"\r") + b"".join(r.rstrip(b"\r\n") + b"\r" for r in rows)
    )
    assert cr_only.status_code == 422, cr_only.text
    assert get(live, API, q="CR-1")[0].json()["items"] == []  # nothing was imported


def test_a_2_mb_header_is_a_small_422(live: LiveServer) -> None:
    header = ",".join(f"unknown_column_{n}" for n in range(120_000)).encode() + b"\r\n"
    started = time.monotonic()
    answer = csv_import(live, header + b"x\r\n")
    assert answer.status_code == 422 and len(answer.content) < 64 * 1024
    assert time.monotonic() - started < 3
    wide = ",".join(["title"] * 60).encode() + b"\r\n"
    answer = csv_import(live, wide + b"x\r\n")
    assert answer.status_code == 422 and len(answer.json()["errors"]) == 50  # IMPORT_MAX_ERRORS


def test_host_is_never_trusted(live: LiveServer) -> None:
    body = json.dumps(row("HOST-1")).encode()
    headers = {
        **bearer(live.key),
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Idempotency-Key": "host-test",
    }
    locations = []
    for _ in range(2):
        sock = connect(live.base_url)
        sock.sendall(head("POST", API, headers, host="evil.example") + body)
        answer = read_answer(sock)
        sock.close()
        assert answer.status in (201,), answer.body
        locations.append(answer.headers["location"])
    assert locations[0] == locations[1] and locations[0].startswith(live.base_url + API + "/")
    sock = connect(live.base_url)
    sock.sendall(head("GET", f"{API}?limit=1", bearer(live.key), host="evil.example"))
    link = read_answer(sock).headers["link"]
    sock.close()
    assert link.startswith(f"<{live.base_url}{API}?") and "evil" not in link


def test_a_failing_export_is_a_problem_before_any_byte(live: LiveServer) -> None:
    for path in (f"{API}/export", API):
        answer, _ = get(live, path, updated_since="0001-01-01T00:00:00+14:00")
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
