"""Dashboard sign-in at the agency's identity provider: authorization code with PKCE against a real local
issuer (tests/support/oidc_issuer.py), the session it starts, and the ways it must fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from service.dashboard.settings import get_dashboard_settings
from service.identity.settings import OidcSettings
from service.identity.verifier import TokenVerifier
from tests.conftest import Keys
from tests.support.oidc_issuer import LocalIssuer
from tests.test_dashboard import COOKIE, metrics, set_cookie

CLIENT_ID = "oia-dashboard"


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer() as running:
        yield running


@pytest.fixture
def provider(app: Any, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIssuer]:
    """The app trusts `issuer` for tokens, and the dashboard is registered there as a client."""
    app.state.token_verifier = TokenVerifier(OidcSettings(issuer=issuer.url, refetch_interval_seconds=0))
    monkeypatch.setenv("DASHBOARD_OIDC_CLIENT_ID", CLIENT_ID)
    get_dashboard_settings.cache_clear()
    yield issuer
    get_dashboard_settings.cache_clear()


async def at_provider(client: httpx.AsyncClient, next_path: str) -> tuple[str, str]:
    """Start the sign-in; the provider's redirect back (path and query) and the flow cookie."""
    start = await client.get(f"/dashboard/login/idp?next={next_path}")
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert "code_verifier" not in authorize  # only its digest travels through the browser
    flow = set_cookie(start)["oia_dashboard_idp"]
    assert flow["httponly"] and flow["samesite"].lower() == "lax"
    async with httpx.AsyncClient() as browser:  # the real issuer, over HTTP
        approved = await browser.get(authorize)
    assert approved.status_code == 302
    back = urlsplit(approved.headers["location"])
    assert back.path == "/dashboard/login/callback"
    return f"{back.path}?{back.query}", f"oia_dashboard_idp={flow.value}"


async def test_sign_in_at_the_provider_starts_a_session_with_the_tokens_principal(
    client: httpx.AsyncClient, provider: LocalIssuer, keys: Keys
) -> None:
    form = await client.get("/dashboard/login")
    assert 'id="idp-sign-in"' in form.text
    provider.login_claims = {"sub": "analyst-7", "oia_role": "reader", "oia_clearance": "sbu"}
    callback, flow = await at_provider(client, "/dashboard/coverage")
    answer = await client.get(callback, headers={"Cookie": flow})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/coverage"
    cookie = set_cookie(answer)[COOKIE]
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict"
    page = await client.get("/dashboard/coverage", headers={"Cookie": f"{COOKIE}={cookie.value}"})
    assert page.status_code == 200
    coverage = (await client.get("/api/v1/strategic-goals/coverage", headers=keys["reader"])).json()
    assert metrics(page.text) == {"unaligned": coverage["unaligned"]["count"]}
    # The code was redeemed once: the same answer again cannot start a second session.
    again = await client.get(callback, headers={"Cookie": flow})
    assert again.status_code == 400 and "refused" in again.text
    assert COOKIE not in set_cookie(again)


async def test_an_answer_for_another_sign_in_or_without_its_cookie_is_refused(
    client: httpx.AsyncClient, provider: LocalIssuer
) -> None:
    callback, flow = await at_provider(client, "/dashboard")
    forged = callback.replace("state=", "state=x")
    assert "does not belong" in (await client.get(forged, headers={"Cookie": flow})).text
    no_cookie = await client.get(callback)
    assert no_cookie.status_code == 400 and "start again" in no_cookie.text
    denied_path = "/dashboard/login/callback?error=access_denied&state=s"
    denied = await client.get(denied_path, headers={"Cookie": flow})
    assert denied.status_code == 400 and "did not sign you in" in denied.text
    assert provider.token_requests == 0  # none of them reached the provider's token endpoint


async def test_a_token_without_a_role_does_not_sign_in(
    client: httpx.AsyncClient, provider: LocalIssuer
) -> None:
    provider.login_claims = {"oia_role": None}
    callback, flow = await at_provider(client, "/dashboard")
    answer = await client.get(callback, headers={"Cookie": flow})
    assert answer.status_code == 403
    assert COOKIE not in set_cookie(answer)


async def test_without_a_provider_only_keys_sign_in(client: httpx.AsyncClient) -> None:
    assert 'id="idp-sign-in"' not in (await client.get("/dashboard/login")).text
    assert (await client.get("/dashboard/login/idp")).status_code == 404
