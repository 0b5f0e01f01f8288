"""/api/v1/webhooks as a resource: create (secret once), owner scoping, rules (403/422), patch, delete,
rotate, ping against a real local receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from service.webhooks.settings import get_webhook_settings
from tests.conftest import Keys
from tests.webhook_receiver import Receiver

API = "/api/v1/webhooks"


@pytest.fixture(autouse=True)
def allow_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    get_webhook_settings.cache_clear()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.close()


async def subscribe(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> httpx.Response:
    return await client.post(API, json={"url": "http://127.0.0.1:9/in", **body}, headers=headers)


async def test_create_shows_the_secret_once(client: httpx.AsyncClient, keys: Keys) -> None:
    made = await subscribe(client, keys["admin"], description="ops", resources=["activities", "trips"])
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["active"] is True
    assert body["resources"] == ["activities", "trips"] and body["actions"] == [] and body["components"] == []
    assert made.headers["location"].endswith(f"{API}/{body['id']}") and made.headers["etag"] == '"1"'
    read = await client.get(f"{API}/{body['id']}", headers=keys["admin"])
    assert read.status_code == 200 and "secret" not in read.json()
    assert body["secret"] not in read.text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://hooks.example.com/in", "https"),
        ("https://10.0.0.1/in", "private"),
        ("https://169.254.169.254/latest", "metadata"),
        ("https://127.0.0.2/in", "loopback"),
        ("not a url", "https"),
    ],
)
async def test_urls_the_policy_refuses_are_422(
    client: httpx.AsyncClient, keys: Keys, url: str, words: str
) -> None:
    answer = await client.post(API, json={"url": url}, headers=keys["admin"])
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert words in answer.text


async def test_bad_fields_are_422(client: httpx.AsyncClient, keys: Keys) -> None:
    for body in ({"resources": ["nope"]}, {"actions": ["delete"]}, {"secret": "x"}, {"components": ["XYZ"]}):
        answer = await subscribe(client, keys["admin"], **body)
        assert answer.status_code == 422, body


async def test_an_editor_subscribes_to_its_own_component_only(client: httpx.AsyncClient, keys: Keys) -> None:
    own = await subscribe(client, keys["cbp"])
    assert own.status_code == 201 and own.json()["components"] == ["CBP"]
    other = await subscribe(client, keys["cbp"], components=["CBP", "ICE"])
    assert other.status_code == 403 and "ICE" in other.json()["detail"]
    patched = await client.patch(
        f"{API}/{own.json()['id']}", json={"components": ["ICE"]}, headers=keys["cbp"]
    )
    assert patched.status_code == 403


async def test_subscriptions_are_owner_scoped(client: httpx.AsyncClient, keys: Keys) -> None:
    mine = (await subscribe(client, keys["cbp"])).json()
    url = f"{API}/{mine['id']}"
    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"active": False}}), ("DELETE", {})):
        answer = await client.request(method, url, headers=keys["ice"], **kwargs)
        assert answer.status_code == 404, method
    assert (await client.post(f"{url}/rotate-secret", headers=keys["ice"])).status_code == 404
    assert (await client.get(f"{url}/deliveries", headers=keys["ice"])).status_code == 404
    listed = (await client.get(API, headers=keys["ice"])).json()["items"]
    assert mine["id"] not in [w["id"] for w in listed]
    every = (await client.get(API, headers=keys["admin"])).json()["items"]
    assert mine["id"] in [w["id"] for w in every]
    assert (await client.get(url, headers=keys["admin"])).status_code == 200


async def test_patch_pauses_checks_if_match_and_delete_ends(client: httpx.AsyncClient, keys: Keys) -> None:
    made = (await subscribe(client, keys["reader"])).json()
    url = f"{API}/{made['id']}"
    stale = await client.patch(url, json={"active": False}, headers={**keys["reader"], "If-Match": '"7"'})
    assert stale.status_code == 412
    paused = await client.patch(url, json={"active": False, "description": "later"}, headers=keys["reader"])
    assert paused.status_code == 200 and paused.json()["active"] is False
    assert paused.json()["description"] == "later" and paused.headers["etag"] == '"2"'
    bad = await client.patch(url, json={"url": "https://10.1.1.1/x"}, headers=keys["reader"])
    assert bad.status_code == 422
    gone = await client.delete(url, headers={**keys["reader"], "If-Match": '"2"'})
    assert gone.status_code == 204
    assert (await client.get(url, headers=keys["reader"])).status_code == 404


async def test_rotate_and_ping_signed_with_the_new_secret(
    client: httpx.AsyncClient, keys: Keys, receiver: Receiver
) -> None:
    made = (await subscribe(client, keys["admin"], url=receiver.url("/ok"))).json()
    rotated = await client.post(f"{API}/{made['id']}/rotate-secret", headers=keys["admin"])
    assert rotated.status_code == 200 and rotated.json()["secret"] != made["secret"]
    ping = await client.post(f"{API}/{made['id']}/ping", headers=keys["admin"])
    assert ping.status_code == 200 and ping.json()["ok"] is True and ping.json()["status_code"] == 200
    [got] = receiver.requests
    assert Webhook(rotated.json()["secret"]).verify(got.body, got.headers)["type"] == "webhook.ping"
    failing = (await subscribe(client, keys["admin"], url=receiver.url("/fail"))).json()
    answer = (await client.post(f"{API}/{failing['id']}/ping", headers=keys["admin"])).json()
    assert answer["ok"] is False and answer["status_code"] == 500 and answer["error"] == "HTTP 500"


async def test_deliveries_of_a_new_subscription_are_an_empty_page(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    made = (await subscribe(client, keys["admin"])).json()
    page = await client.get(f"{API}/{made['id']}/deliveries", headers=keys["admin"])
    assert page.status_code == 200 and page.json() == {"items": [], "next_cursor": None}
    assert (
        await client.get(f"{API}/{made['id']}/deliveries?cursor=garbage", headers=keys["admin"])
    ).status_code == 400


async def test_merge_patch_null_clears_a_filter(client: httpx.AsyncClient, keys: Keys) -> None:
    made = (await subscribe(client, keys["admin"], resources=["trips"], description="x")).json()
    url = f"{API}/{made['id']}"
    cleared = await client.patch(
        url, json={"resources": None, "description": None, "url": None}, headers=keys["admin"]
    )
    assert cleared.status_code == 200
    assert (cleared.json()["resources"], cleared.json()["description"]) == ([], "")
    assert cleared.json()["url"] == made["url"]
    own = (await subscribe(client, keys["cbp"])).json()
    again = await client.patch(f"{API}/{own['id']}", json={"components": None}, headers=keys["cbp"])
    assert again.json()["components"] == ["CBP"]
