"""Agency tokens through the API: a local OIDC issuer's JWTs sign in beside API keys, with the
contract's answers (401 + RFC 6750 challenge, 403 without a role, 503 when a new key cannot be
fetched) and the token's subject and issuer in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.auth import token_cache
from service.identity import OidcSettings, TokenVerifier
from tests.conftest import Keys
from tests.factories import activity
from tests.support.oidc_issuer import LocalIssuer
from tests.support.problems import problem


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer() as running:
        yield running


@pytest.fixture
def tokens(app: Any, issuer: LocalIssuer) -> LocalIssuer:
    """The app trusts `issuer` (as with OIDC_ISSUER set to its URL)."""
    app.state.token_verifier = TokenVerifier(OidcSettings(issuer=issuer.url, refetch_interval_seconds=0))
    token_cache.clear()
    return issuer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_reader_token_reads(client: httpx.AsyncClient, tokens: LocalIssuer) -> None:
    for key in (tokens.rsa, tokens.ec):  # RS256 and ES256
        response = await client.get("/api/v1/activities", headers=bearer(tokens.mint(key=key)))
        assert response.status_code == 200, response.text


async def test_an_editor_token_writes_its_own_and_is_named_in_history(
    client: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    claims = tokens.claims(oia_role="editor", oia_component="CBP", azp="cbp-case-system", sub="svc-42")
    headers = bearer(tokens.mint(claims))
    created = await client.post("/api/v1/activities", json=activity(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "cbp-case-system"
    other = await client.post("/api/v1/activities", json=activity(lead_component="ICE"), headers=headers)
    problem(other, 403)
    history = await client.get(f"/api/v1/activities/{created.json()['id']}/history", headers=headers)
    actor = history.json()["items"][0]["actor"]
    assert actor == {"key_id": None, "name": "cbp-case-system", "subject": "svc-42", "issuer": tokens.url}


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "someone-else"},
        {"iss": "http://127.0.0.1:1/other"},
        {"exp": 1},
    ],
    ids=["wrong audience", "wrong issuer", "expired"],
)
async def test_invalid_tokens_are_401_with_the_rfc6750_challenge(
    client: httpx.AsyncClient, tokens: LocalIssuer, change: dict[str, Any]
) -> None:
    response = await client.get("/api/v1/activities", headers=bearer(tokens.mint(tokens.claims(**change))))
    problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_forgeries_are_401(client: httpx.AsyncClient, tokens: LocalIssuer) -> None:
    claims = tokens.claims(oia_role="admin")
    public_pem = tokens.rsa.public_pem()
    forged = [
        tokens.unsigned(claims, tokens.rsa.kid),  # alg none
        tokens.hmac_signed(claims, public_pem, tokens.rsa.kid),  # the public key as HMAC secret
        tokens.mint(claims)[:-4] + "AAAA",  # tampered signature
        "not.a.jwt",
    ]
    for token in forged:
        response = await client.get("/api/v1/activities", headers=bearer(token))
        problem(response, 401)
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_no_role_claim_is_403(client: httpx.AsyncClient, tokens: LocalIssuer) -> None:
    response = await client.get(
        "/api/v1/activities", headers=bearer(tokens.mint(tokens.claims(oia_role=None)))
    )
    problem(response, 403)


async def test_an_editor_token_for_no_component_is_403(
    client: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    claims = tokens.claims(oia_role="editor", oia_component="NOPE")
    problem(await client.get("/api/v1/activities", headers=bearer(tokens.mint(claims))), 403)


async def test_the_issuer_down_serves_cached_keys_and_503s_unknown_ones(
    client: httpx.AsyncClient, tokens: LocalIssuer
) -> None:
    first = await client.get("/api/v1/activities", headers=bearer(tokens.mint()))
    assert first.status_code == 200
    tokens.stop()
    token_cache.clear()  # the key cache, not the verified-token cache, is what must carry this
    cached = await client.get("/api/v1/activities", headers=bearer(tokens.mint(tokens.claims(sub="other"))))
    assert cached.status_code == 200, cached.text
    new_key = tokens.rotate()
    unknown = await client.get("/api/v1/activities", headers=bearer(tokens.mint(key=new_key)))
    problem(unknown, 503)
    assert int(unknown.headers["retry-after"]) >= 1


async def test_a_token_clearance_limits_what_it_reads(
    client: httpx.AsyncClient, tokens: LocalIssuer, keys: Keys
) -> None:
    les = await client.post("/api/v1/activities", json=activity(sensitivity="les"), headers=keys["admin"])
    url = f"/api/v1/activities/{les.json()['id']}"
    public = bearer(tokens.mint(tokens.claims()))  # no oia_clearance: public
    cleared = bearer(tokens.mint(tokens.claims(oia_clearance="les")))
    problem(await client.get(url, headers=public), 404)
    assert (await client.get(url, headers=cleared)).status_code == 200


async def test_keys_still_work_and_a_token_without_an_issuer_is_refused(
    client: httpx.AsyncClient, keys: Keys, issuer: LocalIssuer
) -> None:
    assert (await client.get("/api/v1/activities", headers=keys["reader"])).status_code == 200
    response = await client.get("/api/v1/activities", headers=bearer(issuer.mint()))
    problem(response, 401)  # no OIDC_ISSUER configured on this app
