"""The webhook delivery core, no database: signatures, the URL policy, the sender, the retry schedule."""

from __future__ import annotations

import base64
import json
import random
import socket
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
import trustme
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.webhooks.backoff import RetryPolicy
from service.webhooks.payload import event_body, event_type, ping_body
from service.webhooks.secret_box import SecretBox, SecretKeyError, new_key
from service.webhooks.settings import WebhookSettings
from service.webhooks.signing import delivery_headers, message_id, new_secret, sign
from service.webhooks.transport import WebhookSender
from service.webhooks.url_policy import Resolver, UrlPolicy, system_resolver
from tests.webhook_receiver import Receiver

PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"


def stub_resolver(answers: dict[str, Sequence[str]], calls: list[str] | None = None) -> Resolver:
    """A resolver that knows only `answers` (a name missing from it does not resolve)."""

    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return list(answers[host])

    return resolve


def signed(secret: str, body: bytes) -> dict[str, str]:
    return delivery_headers([secret], message_id(uuid.uuid4()), int(time.time()), body)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.close()


# --- signing ---------------------------------------------------------------------------------------


def test_new_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret, body = new_secret(), event_body("activity.created", datetime.now(UTC), {"seq": 1, "note": "é"})
    headers = signed(secret, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["type"] == "activity.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'"seq":1', b'"seq":2'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_signature_equals_the_reference_signer_and_a_rotation_header_carries_both() -> None:
    secret, old, body, stamp = new_secret(), new_secret(), b'{"a":1}', 1_700_000_000
    moment = datetime.fromtimestamp(stamp, UTC)
    assert sign(secret, "msg_1", stamp, body) == Webhook(secret).sign("msg_1", moment, body.decode())
    now = int(time.time())
    headers = delivery_headers([secret, old], "msg_2", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for either in (secret, old):
        Webhook(either).verify(body, headers)


def test_event_types_and_bodies() -> None:
    assert event_type("activities", "create") == "activity.created"
    assert event_type("postings", "withdrawn") == "posting.withdrawn"
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    record_id = uuid.uuid4()
    body = event_body("activity.updated", at, {"seq": 7, "id": record_id, "action": "update"})
    assert b" " not in body
    assert json.loads(body) == {
        "type": "activity.updated",
        "timestamp": "2025-01-02T03:04:05.000000Z",
        "data": {"seq": 7, "id": str(record_id), "action": "update"},
    }
    assert json.loads(ping_body(at))["type"] == "webhook.ping"


def test_secret_box_round_trip_and_key_rotation() -> None:
    old_key, new = new_key(), new_key()
    secret = new_secret()
    sealed = SecretBox([old_key]).seal(secret)
    assert secret not in sealed and SecretBox([old_key]).open(sealed) == secret
    rotated = SecretBox.from_setting(f"{new},{old_key}")
    assert rotated.open(sealed) == secret
    assert SecretBox([new]).open(rotated.reseal(sealed)) == secret
    with pytest.raises(SecretKeyError):
        SecretBox([new]).open(sealed)
    with pytest.raises(SecretKeyError):
        SecretBox.from_setting("")


def test_settings_build_the_parts_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_key()
    monkeypatch.setenv("WEBHOOK_ALLOW_HOSTS", " 127.0.0.1, Hooks.Local. ,[::1]")
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "0.5")
    monkeypatch.setenv("WEBHOOK_SECRET_KEY", key)
    settings = WebhookSettings()
    assert settings.url_policy().allow_hosts == {"127.0.0.1", "hooks.local", "::1"}
    assert settings.retry_policy().nominal_delay(2) == 1.0
    assert settings.sender().timeout == 10.0
    assert SecretBox([key]).open(settings.secret_box().seal("whsec_x")) == "whsec_x"


# --- URL policy ------------------------------------------------------------------------------------

REFUSED = [
    ("http://hooks.example.com/in", "https"),
    ("ftp://hooks.example.com/in", "https"),
    ("https://user:pw@hooks.example.com/in", "credentials"),
    ("https://127.0.0.1/in", "loopback"),
    ("https://127.0.0.1:8443/in", "loopback"),
    ("https://10.1.2.3/in", "private"),
    ("https://192.168.0.10/in", "private"),
    ("https://172.16.5.5/in", "private"),
    ("https://169.254.169.254/latest/meta-data", "metadata"),
    ("https://169.254.10.10/in", "link-local"),
    ("https://0.0.0.0/in", "unspecified"),
    ("https://0.1.2.3/in", "this network"),
    ("https://100.64.1.1/in", "CGNAT"),
    ("https://224.0.0.1/in", "multicast"),
    ("https://[::1]/in", "loopback"),
    ("https://[::]/in", "unspecified"),
    ("https://[::ffff:127.0.0.1]/in", "loopback"),
    ("https://[::ffff:10.0.0.1]/in", "private"),
    ("https://[fd00:ec2::254]/in", "metadata"),
    ("https://[fc00::1]/in", "private"),
    ("https://[fe80::1]/in", "link-local"),
    ("https://[ff02::1]/in", "multicast"),
    ("https://[64:ff9b::7f00:1]/in", "reserved"),
    ("https://[2002:7f00:1::1]/in", "6to4"),
    ("https://localhost/in", "loopback"),  # the system resolver (/etc/hosts)
    ("https://2130706433/in", "loopback"),  # 127.0.0.1 written as one decimal number
    ("https://nowhere.invalid/in", "does not resolve"),
]


async def local_names_only(host: str, port: int) -> list[str]:
    """The real resolver, for names answered without a DNS server (tests send nothing off 127.0.0.0/8)."""
    if host not in ("localhost", "2130706433"):
        raise socket.gaierror(socket.EAI_NONAME, "not looked up in tests")
    return await system_resolver(host, port)


@pytest.mark.parametrize(("url", "reason"), REFUSED)
async def test_url_policy_refuses(url: str, reason: str) -> None:
    refusal = await UrlPolicy(resolver=local_names_only).refusal(url)
    assert refusal is not None and reason in refusal


async def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    resolver = stub_resolver({"mixed.example": [PUBLIC_V4, "10.0.0.7"], "six.example": [PUBLIC_V6, "::1"]})
    policy = UrlPolicy(resolver=resolver)
    assert "private" in (await policy.refusal("https://mixed.example/in") or "")
    assert "loopback" in (await policy.refusal("https://six.example/in") or "")


async def test_public_https_urls_are_accepted() -> None:
    resolver = stub_resolver({"hooks.example.com": [PUBLIC_V4, PUBLIC_V6, f"::ffff:{PUBLIC_V4}"]})
    policy = UrlPolicy(resolver=resolver)
    assert await policy.refusal("https://hooks.example.com/in?x=1") is None
    assert await policy.refusal(f"https://{PUBLIC_V4}:8443/in") is None
    target = await policy.target("https://hooks.example.com/in")
    assert [str(a) for a in target.addresses] == [PUBLIC_V4, PUBLIC_V6]  # the mapped one is the same host


async def test_allow_listed_hosts_may_be_local_and_plain_http() -> None:
    policy = UrlPolicy(allow_hosts=["127.0.0.1", "Receiver.Test"], resolver=stub_resolver({}))
    assert await policy.refusal("http://127.0.0.1:8080/in") is None
    assert await policy.refusal("https://127.0.0.1/in") is None
    assert await policy.refusal("http://localhost:8080/in") is not None  # the name itself is not listed
    assert await policy.refusal("http://[::1]:8080/in") is not None
    assert "does not resolve" in (await policy.refusal("http://receiver.test/in") or "")


# --- the sender against a real local receiver -----------------------------------------------------


def local_sender(
    timeout: float = 2.0, resolver: Resolver | None = None, allow: Sequence[str] = ("127.0.0.1",)
) -> WebhookSender:
    policy = UrlPolicy(allow_hosts=allow, resolver=resolver or stub_resolver({}))
    return WebhookSender(policy, timeout=timeout, max_response_bytes=4096)


async def test_a_delivery_reaches_the_receiver_signed(receiver: Receiver) -> None:
    secret, body = new_secret(), event_body("trip.created", datetime.now(UTC), {"seq": 3})
    headers = signed(secret, body)
    result = await local_sender().post(receiver.url("/ok"), body, headers)
    assert result.ok and result.status_code == 200 and result.error is None
    assert result.response_excerpt == "thanks" and result.address == "127.0.0.1"
    [got] = receiver.requests
    assert (got.method, got.path, got.body) == ("POST", "/ok", body)
    assert got.headers["content-type"] == "application/json"
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert got.headers[name] == headers[name]
    assert Webhook(secret).verify(got.body, got.headers)["data"] == {"seq": 3}


async def test_a_500_is_a_failure(receiver: Receiver) -> None:
    result = await local_sender().post(receiver.url("/fail"), b"{}", signed(new_secret(), b"{}"))
    assert not result.ok and result.status_code == 500
    assert result.error == "HTTP 500" and result.response_excerpt == "boom"


async def test_a_receiver_that_never_answers_times_out_within_the_bound(receiver: Receiver) -> None:
    started = time.monotonic()
    result = await local_sender(timeout=0.5).post(receiver.url("/hang"), b"{}", signed(new_secret(), b"{}"))
    elapsed = time.monotonic() - started
    assert not result.ok and result.status_code is None
    assert result.error == "no answer within 0.5 s"
    assert 0.45 <= elapsed < 1.5 and result.duration_ms < 1500
    assert len(receiver.requests) == 1  # the request was sent; only the answer never came


async def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    result = await local_sender().post(receiver.url("/redirect"), b"{}", signed(new_secret(), b"{}"))
    assert not result.ok and result.status_code == 302
    assert result.error is not None and "redirect not followed" in result.error
    assert [r.path for r in receiver.requests] == ["/redirect"]


async def test_a_large_response_body_is_cut_and_not_waited_for(receiver: Receiver) -> None:
    started = time.monotonic()
    result = await local_sender(timeout=3.0).post(receiver.url("/big"), b"{}", signed(new_secret(), b"{}"))
    assert result.ok and result.status_code == 200
    assert result.response_excerpt == "x" * 4096
    assert time.monotonic() - started < 2.0  # the rest of the 50 MiB never comes: it was not awaited


async def test_each_delivery_rechecks_the_url(receiver: Receiver) -> None:
    # Subscribed while 127.0.0.1 was allow-listed; the list has changed since.
    url = f"https://127.0.0.1:{receiver.port}/ok"
    result = await local_sender(allow=()).post(url, b"{}", signed(new_secret(), b"{}"))
    assert not result.ok and result.error == "refused: the URL's host is a loopback address"
    assert receiver.requests == []


async def test_a_name_that_rebinds_to_loopback_after_subscribing_is_refused(receiver: Receiver) -> None:
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    sender = local_sender(resolver=rebinding, allow=())
    url = f"https://rebind.example:{receiver.port}/ok"
    assert await sender.policy.refusal(url) is None  # at subscribe time it looked public
    result = await sender.post(url, b"{}", signed(new_secret(), b"{}"))
    assert result.error == "refused: the URL's host resolves to a loopback address"
    assert receiver.requests == []


async def test_the_connection_goes_to_the_address_that_was_checked(receiver: Receiver) -> None:
    # `receiver.test` exists only in the stub: had anything looked the name up again, it would fail.
    calls: list[str] = []
    resolver = stub_resolver({"receiver.test": ["127.0.0.1"]}, calls)
    sender = local_sender(resolver=resolver, allow=("receiver.test",))
    result = await sender.post(receiver.url("/ok", host="receiver.test"), b"{}", signed(new_secret(), b"{}"))
    assert result.ok and result.address == "127.0.0.1"
    assert calls == ["receiver.test"]
    assert receiver.requests[0].headers["host"] == f"receiver.test:{receiver.port}"


async def test_the_next_checked_address_is_tried_when_one_refuses(receiver: Receiver) -> None:
    resolver = stub_resolver({"receiver.test": ["127.0.0.2", "127.0.0.1"]})
    sender = local_sender(resolver=resolver, allow=("receiver.test",))
    result = await sender.post(receiver.url("/ok", host="receiver.test"), b"{}", signed(new_secret(), b"{}"))
    assert result.ok and result.address == "127.0.0.1"


# --- TLS: the connection goes to the IP, SNI and the certificate check keep the name ---------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def tls_receiver(ca: trustme.CA, cert_name: str) -> Receiver:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(cert_name).configure_cert(context)
    return await Receiver(ssl_context=context).start()


def tls_sender(ca: trustme.CA) -> WebhookSender:
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    policy = UrlPolicy(
        allow_hosts=["receiver.test"], resolver=stub_resolver({"receiver.test": ["127.0.0.1"]})
    )
    return WebhookSender(policy, timeout=2.0, ssl_context=client_context)


async def test_https_to_the_checked_ip_keeps_sni_and_host(ca: trustme.CA) -> None:
    server = await tls_receiver(ca, "receiver.test")
    try:
        url = server.url("/ok", host="receiver.test")
        result = await tls_sender(ca).post(url, b"{}", signed(new_secret(), b"{}"))
    finally:
        await server.close()
    assert result.ok and result.address == "127.0.0.1"
    assert server.server_names == ["receiver.test"]
    assert server.requests[0].headers["host"] == f"receiver.test:{server.port}"


async def test_a_certificate_for_another_name_is_refused(ca: trustme.CA) -> None:
    server = await tls_receiver(ca, "someone-else.test")
    try:
        url = server.url("/ok", host="receiver.test")
        result = await tls_sender(ca).post(url, b"{}", signed(new_secret(), b"{}"))
    finally:
        await server.close()
    assert not result.ok and result.status_code is None
    assert result.error is not None and "could not connect" in result.error
    assert "certificate" in result.error.lower() and server.requests == []


# --- backoff -------------------------------------------------------------------------------------------


def test_nominal_delays_double_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=5, max_seconds=3600)
    assert [policy.nominal_delay(n) for n in range(1, 12)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        320,
        640,
        1280,
        2560,
        3600,
    ]
    assert policy.nominal_delay(10_000) == 3600  # no overflow however long it has failed


def test_jittered_delays_stay_around_the_nominal_and_spread_out() -> None:
    policy, rng = RetryPolicy(base_seconds=5), random.Random(7)
    for failed in range(1, 20):
        nominal = policy.nominal_delay(failed)
        draws = [policy.delay(failed, rng) for _ in range(400)]
        assert all(0.5 * nominal <= d <= 1.5 * nominal for d in draws)
        assert abs(sum(draws) / len(draws) - nominal) < 0.1 * nominal
        assert len({round(d, 6) for d in draws}) > 300  # simultaneous failures do not retry in step
    assert 2.5 <= policy.delay(1) <= 7.5  # "first retry after about WEBHOOK_RETRY_BASE_SECONDS"


def test_retries_stop_after_the_window_and_the_last_one_lands_on_its_edge() -> None:
    policy, rng = RetryPolicy(base_seconds=5), random.Random(11)
    created = datetime(2025, 3, 1, tzinfo=UTC)
    now, failed, times = created, 1, []
    while (at := policy.next_attempt_at(created, failed, now, rng)) is not None:
        assert now < at <= policy.deadline(created)
        times.append(at)
        now, failed = at, failed + 1
    assert times[-1] == created + timedelta(hours=24)
    assert 25 <= len(times) <= 40  # ~10 doublings, then hourly for the rest of the day
    assert policy.next_attempt_at(created, 3, created + timedelta(hours=25)) is None


def test_retry_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base_seconds=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_seconds=10, max_seconds=5)
    with pytest.raises(ValueError):
        RetryPolicy().nominal_delay(0)
