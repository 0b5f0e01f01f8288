"""`oia smoke`: a deployed API's end-to-end check, through HTTP only.

Creates, reads, lists, updates and archives one record of each resource the server's
/openapi.json offers, prints each check, and stops at the first failure. Identifiers start with
`SMOKE-` plus a random suffix, so reruns against the same database never collide; the records are
archived at the end (nothing is ever deleted through the API).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from service.ops.smoke_bodies import RESOURCES, Resource

MERGE_PATCH = "application/merge-patch+json"


class SmokeFailure(Exception):
    """A check failed; the message says which and what came back."""


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return str(body)[:300]
    errors = "; ".join(
        f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg')}" for e in body.get("errors", [])
    )
    return " ".join(str(part) for part in (body.get("title"), body.get("detail"), errors) if part)[:500]


class Smoke:
    """One run: an HTTP client, what it made, and how many checks passed."""

    def __init__(self, client: httpx.Client, out: Callable[[str], None]) -> None:
        self.http = client
        self.out = out
        self.suffix = secrets.token_hex(4).upper()
        self.made: dict[str, dict[str, Any]] = {}
        self.checks = 0

    def call(
        self, what: str, status: int, method: str, path: str, echo: bool = True, **kw: Any
    ) -> httpx.Response:
        """Send one request; anything but `status` ends the run with what came back."""
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise SmokeFailure(f"{what}: no answer from {self.http.base_url} ({exc!r})") from exc
        if response.status_code != status:
            raise SmokeFailure(f"{what}: expected {status}, got {response.status_code}: {_problem(response)}")
        self.checks += 1
        if echo:
            self.out(f"ok    {what} ({status}, {(time.perf_counter() - started) * 1000:.0f} ms)")
        return response

    def ensure(self, what: str, condition: bool, detail: str) -> None:
        if not condition:
            raise SmokeFailure(f"{what}: {detail}")
        self.checks += 1
        self.out(f"ok    {what}")

    def service(self) -> set[str]:
        """Ready, the document, and the key: what the rest depends on."""
        self.call("GET /health/ready", 200, "GET", "/health/ready")
        spec = self.call("GET /openapi.json", 200, "GET", "/openapi.json").json()
        no_key = {"Authorization": ""}
        self.call("a request without a key is refused", 401, "GET", "/api/v1/components", headers=no_key)
        self.call("the key is accepted", 200, "GET", "/api/v1/components")
        return set(spec.get("paths", {}))

    def available(self, paths: set[str]) -> Iterator[Resource]:
        for r in RESOURCES:
            base = f"/api/v1/{r.collection}"
            if base not in paths or f"{base}/{{{r.key}}}" not in paths:
                self.out(f"skip  {r.collection}: not in this server's /openapi.json")
            elif r.collection == "postings" and "posts" not in self.made:
                self.out("skip  postings: a posting needs a post, and posts are not offered")
            else:
                yield r

    def exercise(self, r: Resource) -> None:
        """Create, read (ETag, 304), find in the list, update with If-Match (and a stale one)."""
        base = f"/api/v1/{r.collection}"
        created = self.call(f"create {r.singular}", 201, "POST", base, json=r.body(self.suffix, self.made))
        record = created.json()
        path = urlsplit(created.headers.get("location", "")).path
        self.ensure(f"{r.singular} Location header", path == f"{base}/{record[r.key]}", f"it is {path!r}")
        got = self.call(f"read {r.singular}", 200, "GET", path)
        tag = got.headers.get("etag", "")
        self.ensure(
            f'{r.singular} reads back as created, ETag "1"', got.json() == record and tag == '"1"', tag
        )
        self.call(
            f"read {r.singular} unchanged (If-None-Match)", 304, "GET", path, headers={"If-None-Match": tag}
        )
        self.ensure(
            f"list {r.collection} shows it", self.listed(base, record, r.key), "the new record is missing"
        )
        patch = {r.change: f"{record[r.change]} (updated)"}
        headers = {"If-Match": '"1"', "Content-Type": MERGE_PATCH}
        updated = self.call(
            f"update {r.singular} (If-Match)", 200, "PATCH", path, json=patch, headers=headers
        )
        self.ensure(f"{r.singular} update applied", updated.json()[r.change] == patch[r.change], "it was not")
        self.call(
            f"update {r.singular} with a stale ETag is refused",
            412,
            "PATCH",
            path,
            json=patch,
            headers=headers,
        )
        self.made[r.collection] = updated.json()

    def listed(self, base: str, record: dict[str, Any], key: str, archived: bool = False) -> bool:
        """Walk the collection from the record's own updated_at until it shows up (or the end)."""
        params: dict[str, Any] = {"updated_since": record["updated_at"], "limit": 200}
        if archived:
            params["include_archived"] = "true"
        for _ in range(50):
            page = self.call(f"list {base}", 200, "GET", base, echo=False, params=params).json()
            if any(item[key] == record[key] for item in page["items"]):
                return True
            if not page.get("next_cursor"):
                return False
            params["cursor"] = page["next_cursor"]
        return False

    def archive(self, r: Resource) -> None:
        """Archive with If-Match; the record still reads (with archived_at) but leaves the list."""
        record = self.made[r.collection]
        base = f"/api/v1/{r.collection}"
        path = f"{base}/{record[r.key]}"
        tag = {"If-Match": f'"{record["version"]}"'}
        self.call(f"archive {r.singular} (If-Match)", 204, "DELETE", path, headers=tag)
        archived = self.call(f"read archived {r.singular}", 200, "GET", path).json()
        self.ensure(f"{r.singular} has archived_at", archived.get("archived_at") is not None, "it is empty")
        self.ensure(
            f"list {r.collection} leaves it out", not self.listed(base, archived, r.key), "it is listed"
        )
        shown = self.listed(base, archived, r.key, archived=True)
        self.ensure(f"list {r.collection}?include_archived=true shows it", shown, "it is missing")

    def recommendation_update(self, paths: set[str]) -> None:
        record = self.made.get("recommendations")
        if record is None or "/api/v1/recommendations/{id}/updates" not in paths:
            return
        path = f"/api/v1/recommendations/{record['id']}"
        move = {"to_status": "open_resolved", "note": "smoke test"}
        self.call("add a status update to the recommendation", 201, "POST", f"{path}/updates", json=move)
        record = self.call("read recommendation", 200, "GET", path).json()
        self.ensure("recommendation status moved", record["status"] == "open_resolved", record["status"])
        self.made["recommendations"] = record

    def sync_by_key(self, paths: set[str]) -> None:
        """PUT by the integrator's own key: created, then the same body changes nothing; then archived."""
        if "/api/v1/activities/by-identifier/{identifier}" not in paths:
            return
        activities = next(r for r in RESOURCES if r.collection == "activities")
        body = activities.body(f"{self.suffix}-K", self.made)
        path = f"/api/v1/activities/by-identifier/{body['identifier']}"
        created = self.call("PUT an activity by its identifier (new)", 201, "PUT", path, json=body)
        again = self.call("PUT the same body again", 200, "PUT", path, json=body)
        same = again.headers.get("etag") == created.headers.get("etag") == '"1"'
        self.ensure("an identical PUT keeps the version", same, again.headers.get("etag", ""))
        got = self.call("GET the activity by its identifier", 200, "GET", path).json()
        self.ensure("it is the same record", got["id"] == created.json()["id"], got["id"])
        tag = {"If-Match": '"1"'}
        self.call("archive it", 204, "DELETE", f"/api/v1/activities/{got['id']}", headers=tag)

    def run(self) -> None:
        paths = self.service()
        done = []
        for resource in self.available(paths):
            self.exercise(resource)
            done.append(resource)
        self.recommendation_update(paths)
        self.sync_by_key(paths)
        for resource in reversed(done):
            self.archive(resource)


def run_smoke(base_url: str, key: str, out: Callable[[str], None] = print, timeout: float = 15.0) -> int:
    """Run every check against `base_url`; 0 when all pass, 1 at the first failure."""
    headers = {"Authorization": f"Bearer {key}", "User-Agent": "oia-smoke"}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout) as client:
        smoke = Smoke(client, out)
        out(f"smoke test of {base_url} (records named SMOKE-{smoke.suffix})")
        try:
            smoke.run()
        except SmokeFailure as failure:
            out(f"FAIL  {failure}")
            return 1
    out(f"passed: {smoke.checks} checks")
    return 0
