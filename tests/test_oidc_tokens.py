"""Agency identity (API.md v1.1): OIDC access tokens verified against a real local issuer over HTTP.

No database: these tests exercise service.identity alone. A fake monotonic clock drives the key cache's TTL
and its 30 s refetch throttle, so nothing here sleeps for long; token times (exp, nbf, iat) are real.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from service.identity import (
    InvalidToken,
    IssuerUnavailable,
    OidcSettings,
    TokenForbidden,
    TokenIdentity,
    TokenVerifier,
    looks_like_jwt,
)
from tests.support.oidc_issuer import LocalIssuer, SigningKey, b64url, b64url_json


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


MakeVerifier = Callable[..., TokenVerifier]


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_verifier(issuer: LocalIssuer, clock: FakeClock) -> AsyncIterator[MakeVerifier]:
    made: list[TokenVerifier] = []

    def make(**overrides: Any) -> TokenVerifier:
        settings = OidcSettings(_env_file=None, issuer=issuer.url, **overrides)
        verifier = TokenVerifier(settings, clock=clock)
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        await verifier.aclose()


@pytest.fixture
def verifier(make_verifier: MakeVerifier) -> TokenVerifier:
    return make_verifier()


async def refused(verifier: TokenVerifier, token: str) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        await verifier.verify(token)
    assert token not in caught.value.detail
    assert caught.value.www_authenticate.startswith('Bearer error="invalid_token"')
    return caught.value


async def forbidden(verifier: TokenVerifier, token: str) -> TokenForbidden:
    with pytest.raises(TokenForbidden) as caught:
        await verifier.verify(token)
    return caught.value


def now() -> int:
    return int(time.time())


# -- accepted tokens -------------------------------------------------------------------------------------


async def test_rs256_token_gives_the_identity_its_claims_describe(
    issuer: LocalIssuer, verifier: TokenVerifier
):
    claims = issuer.claims()
    identity = await verifier.verify(issuer.mint(claims, key=issuer.rsa))
    assert identity == TokenIdentity(
        role="reader",
        component=None,
        clearance="public",
        name="user-1234",
        subject="user-1234",
        issuer=issuer.url,
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )


async def test_es256_token_accepted(issuer: LocalIssuer, verifier: TokenVerifier):
    claims = issuer.claims(oia_role="editor", oia_component="CBP", oia_clearance="les")
    identity = await verifier.verify(issuer.mint(claims, key=issuer.ec))
    assert (identity.role, identity.component, identity.clearance) == ("editor", "CBP", "les")


async def test_audience_may_be_a_list_containing_ours(issuer: LocalIssuer, verifier: TokenVerifier):
    token = issuer.mint(issuer.claims(aud=["account", "oia-registry"]))
    assert (await verifier.verify(token)).role == "reader"


async def test_custom_audience(issuer: LocalIssuer, make_verifier: MakeVerifier):
    verifier = make_verifier(audience="registry-staging")
    assert await verifier.verify(issuer.mint(issuer.claims(aud="registry-staging")))
    await refused(verifier, issuer.mint(issuer.claims()))


# -- keys: rotation, retirement, caching ----------------------------------------------------------------


async def test_rotated_key_is_picked_up_by_a_refetch_at_most_every_30_s(
    issuer: LocalIssuer, verifier: TokenVerifier, clock: FakeClock
):
    await verifier.verify(issuer.mint())
    assert issuer.jwks_fetches == 1
    new = issuer.rotate("RS256")
    token = issuer.mint(key=new)
    # Within 30 s of the last fetch an unknown kid is refused without asking the issuer again.
    clock.advance(10)
    await refused(verifier, token)
    assert issuer.jwks_fetches == 1
    clock.advance(21)
    assert (await verifier.verify(token)).subject == "user-1234"
    assert issuer.jwks_fetches == 2
    assert await verifier.verify(issuer.mint())  # the old key is still published and cached
    assert issuer.jwks_fetches == 2


async def test_cached_keys_are_refreshed_after_the_ttl_and_a_retired_key_stops_working(
    issuer: LocalIssuer, verifier: TokenVerifier, clock: FakeClock
):
    old_token = issuer.mint()
    await verifier.verify(old_token)
    issuer.retire(issuer.rsa.kid)
    clock.advance(3601)
    # Past the TTL the cached key still serves this request; the refresh runs in the background.
    assert await verifier.verify(old_token)
    assert verifier.keys.refresh_task is not None
    await verifier.keys.refresh_task
    assert issuer.jwks_fetches == 2
    detail = (await refused(verifier, old_token)).detail
    assert "not published" in detail
    assert await verifier.verify(issuer.mint(key=issuer.ec))


async def test_unknown_kid_from_a_reachable_issuer_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier):
    stranger = issuer.add_key("RS256", publish=False)
    await refused(verifier, issuer.mint(key=stranger))
    assert issuer.jwks_fetches == 1


async def test_many_unknown_kid_tokens_at_once_cause_one_fetch_then_the_throttle_holds(
    issuer: LocalIssuer, verifier: TokenVerifier, clock: FakeClock
):
    issuer.delay_seconds = 0.1  # the fetch is still running while the other requests arrive
    strangers = [issuer.mint(kid=f"made-up-{n}") for n in range(20)]
    results = await asyncio.gather(*(verifier.verify(t) for t in strangers), return_exceptions=True)
    assert all(isinstance(r, InvalidToken) for r in results)
    assert issuer.jwks_fetches == 1
    clock.advance(29)
    results = await asyncio.gather(*(verifier.verify(t) for t in strangers), return_exceptions=True)
    assert all(isinstance(r, InvalidToken) for r in results)
    assert issuer.jwks_fetches == 1
    clock.advance(2)
    await asyncio.gather(*(verifier.verify(t) for t in strangers), return_exceptions=True)
    assert issuer.jwks_fetches == 2


async def test_many_requests_on_a_cold_cache_share_one_fetch(issuer: LocalIssuer, verifier: TokenVerifier):
    issuer.delay_seconds = 0.1
    tokens = [issuer.mint(issuer.claims(sub=f"user-{n}")) for n in range(20)]
    identities = await asyncio.gather(*(verifier.verify(t) for t in tokens))
    assert [i.subject for i in identities] == [f"user-{n}" for n in range(20)]
    assert (issuer.discovery_fetches, issuer.jwks_fetches) == (1, 1)


async def test_a_caller_hanging_up_does_not_abort_the_fetch_others_wait_on(
    issuer: LocalIssuer, verifier: TokenVerifier
):
    issuer.delay_seconds = 0.2
    first = asyncio.create_task(verifier.verify(issuer.mint()))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(verifier.verify(issuer.mint(key=issuer.ec)))
    await asyncio.sleep(0.05)
    first.cancel()
    assert (await second).role == "reader"
    assert issuer.jwks_fetches == 1
    with pytest.raises(asyncio.CancelledError):
        await first


# -- the issuer unreachable -----------------------------------------------------------------------------


async def test_issuer_down_with_the_key_cached_still_verifies(
    issuer: LocalIssuer, verifier: TokenVerifier, clock: FakeClock
):
    token = issuer.mint()
    await verifier.verify(token)
    issuer.stop()
    assert await verifier.verify(token)
    clock.advance(3601)  # past the TTL: the background refresh fails, the cached key keeps serving
    assert await verifier.verify(token)
    assert verifier.keys.refresh_task is not None
    await verifier.keys.refresh_task
    assert await verifier.verify(token)
    assert issuer.jwks_fetches == 1


async def test_issuer_down_with_an_uncached_kid_is_unavailable(
    issuer: LocalIssuer, verifier: TokenVerifier, clock: FakeClock
):
    await verifier.verify(issuer.mint())
    new = issuer.rotate("ES256")
    issuer.stop()
    clock.advance(31)
    with pytest.raises(IssuerUnavailable) as caught:
        await verifier.verify(issuer.mint(key=new))
    assert 1 <= caught.value.retry_after <= 30
    # Within the throttle the issuer is not tried again, and the answer stays 503, not 401.
    clock.advance(5)
    with pytest.raises(IssuerUnavailable) as caught:
        await verifier.verify(issuer.mint(key=new))
    assert caught.value.retry_after == 25
    # Back up, and 30 s later, the new key is fetched.
    issuer.start()
    clock.advance(26)
    assert (await verifier.verify(issuer.mint(key=new))).role == "reader"


async def test_issuer_never_reached_is_unavailable(issuer: LocalIssuer, verifier: TokenVerifier):
    issuer.stop()
    with pytest.raises(IssuerUnavailable):
        await verifier.verify(issuer.mint())


@pytest.mark.parametrize("trouble", ["status", "slow", "impostor"])
async def test_an_unusable_issuer_answer_is_unavailable(
    issuer: LocalIssuer, make_verifier: MakeVerifier, trouble: str
):
    if trouble == "status":
        issuer.fail_status = 500
    elif trouble == "slow":
        issuer.delay_seconds = 1.0
    else:  # the discovery document names another issuer (OIDC Discovery 4.3)
        issuer.discovery_issuer = "https://impostor.example"
    verifier = make_verifier(http_timeout_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(IssuerUnavailable):
        await verifier.verify(issuer.mint())
    assert time.monotonic() - started < 0.9


# -- times ----------------------------------------------------------------------------------------------


async def test_expired_token_is_invalid_beyond_60_s_leeway(issuer: LocalIssuer, verifier: TokenVerifier):
    assert "expired" in (await refused(verifier, issuer.mint(issuer.claims(exp=now() - 90)))).detail
    assert await verifier.verify(issuer.mint(issuer.claims(exp=now() - 30)))


async def test_not_yet_valid_token_is_invalid_beyond_60_s_leeway(
    issuer: LocalIssuer, verifier: TokenVerifier
):
    assert "not valid yet" in (await refused(verifier, issuer.mint(issuer.claims(nbf=now() + 120)))).detail
    assert await verifier.verify(issuer.mint(issuer.claims(nbf=now() + 30)))


async def test_token_issued_in_the_future_is_invalid_beyond_leeway(
    issuer: LocalIssuer, verifier: TokenVerifier
):
    await refused(verifier, issuer.mint(issuer.claims(iat=now() + 120)))
    assert await verifier.verify(issuer.mint(issuer.claims(iat=now() + 30)))


@pytest.mark.parametrize("claim", ["exp", "sub", "aud", "iss"])
async def test_required_claim_missing_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier, claim: str):
    await refused(verifier, issuer.mint(issuer.claims(**{claim: None})))


# -- issuer and audience --------------------------------------------------------------------------------


async def test_wrong_issuer_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier):
    token = issuer.mint(issuer.claims(iss="https://other-idp.example"))
    assert "another issuer" in (await refused(verifier, token)).detail


async def test_wrong_audience_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier):
    for aud in ("account", ["account", "billing"]):
        await refused(verifier, issuer.mint(issuer.claims(aud=aud)))


# -- forgeries ------------------------------------------------------------------------------------------


async def test_tampered_payload_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier):
    header, _, signature = issuer.mint().split(".")
    forged = f"{header}.{b64url_json(issuer.claims(oia_role='admin', oia_clearance='les'))}.{signature}"
    assert "signature" in (await refused(verifier, forged)).detail


async def test_tampered_signature_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier):
    for key in (issuer.rsa, issuer.ec):
        header, payload, signature = issuer.mint(key=key).split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[len(raw) // 2] ^= 0x01
        await refused(verifier, f"{header}.{payload}.{b64url(bytes(raw))}")


async def test_alg_none_is_refused_without_asking_the_issuer(issuer: LocalIssuer, verifier: TokenVerifier):
    token = LocalIssuer.unsigned(issuer.claims(oia_role="admin"), kid=issuer.rsa.kid)
    assert "algorithm" in (await refused(verifier, token)).detail
    assert issuer.jwks_fetches == 0


async def test_hmac_signed_with_the_public_key_as_secret_is_refused(
    issuer: LocalIssuer, verifier: TokenVerifier
):
    await verifier.verify(issuer.mint())  # the RSA key is cached: the attack gets as far as it can
    claims = issuer.claims(oia_role="admin", oia_clearance="les")
    for alg in ("HS256", "HS384", "HS512"):
        forged = LocalIssuer.hmac_signed(claims, issuer.rsa.public_pem(), kid=issuer.rsa.kid, alg=alg)
        await refused(verifier, forged)
    jwk_secret = json.dumps(issuer.rsa.public_jwk()).encode()
    await refused(verifier, LocalIssuer.hmac_signed(claims, jwk_secret, kid=issuer.rsa.kid))


async def test_a_symmetric_key_in_the_jwks_is_never_used(issuer: LocalIssuer, make_verifier: MakeVerifier):
    secret = b"s" * 32
    issuer.extra_jwks.append({"kty": "oct", "kid": "shared", "alg": "RS256", "k": b64url(secret)})
    verifier = make_verifier()
    await refused(verifier, LocalIssuer.hmac_signed(issuer.claims(), secret, kid="shared"))
    token = issuer.mint(kid="shared")  # RS256 from the real RSA key, pointing at the oct entry
    assert "not published" in (await refused(verifier, token)).detail


async def test_algorithm_outside_the_allow_list_is_refused(issuer: LocalIssuer, verifier: TokenVerifier):
    token = issuer.mint(key=issuer.rsa, alg="RS512")
    assert "algorithm" in (await refused(verifier, token)).detail


async def test_allowed_algorithm_not_bound_to_the_key_is_refused(
    issuer: LocalIssuer, make_verifier: MakeVerifier
):
    verifier = make_verifier(algorithms="RS256,RS512,PS256,ES256")
    # The JWK says alg RS256: RS512 or PS256 signatures by the same RSA key are not accepted.
    for alg in ("RS512", "PS256"):
        assert "does not match" in (await refused(verifier, issuer.mint(alg=alg))).detail
    # An RS256 header naming the EC key.
    await refused(verifier, issuer.mint(key=issuer.rsa, kid=issuer.ec.kid))


async def test_a_jwk_without_alg_serves_the_allowed_algorithms_its_type_fits(
    issuer: LocalIssuer, make_verifier: MakeVerifier
):
    bare = issuer.add_key("RS256", publish=False)
    issuer.extra_jwks.append({k: v for k, v in bare.public_jwk().items() if k != "alg"})
    verifier = make_verifier(algorithms="RS256,PS256,ES256")
    assert await verifier.verify(issuer.mint(key=bare, alg="PS256"))
    assert await verifier.verify(issuer.mint(key=bare, alg="RS256"))
    await refused(verifier, issuer.mint(key=bare, alg="RS384"))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # minting with it, on purpose
async def test_a_weak_rsa_key_is_never_loaded(issuer: LocalIssuer, verifier: TokenVerifier):
    weak = SigningKey("weak", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    issuer.extra_jwks.append(weak.public_jwk())
    assert "not published" in (await refused(verifier, issuer.mint(key=weak))).detail


@pytest.mark.parametrize(
    "token", ["a.b.c", "not-a-jwt", "e30.e30.", "x" * 20_000 + ".a.b", "oia_abc.def.ghi"]
)
async def test_garbage_is_invalid_not_an_error(verifier: TokenVerifier, token: str):
    await refused(verifier, token)


async def test_kid_missing_is_invalid(issuer: LocalIssuer, verifier: TokenVerifier):
    header = b64url_json({"alg": "RS256", "typ": "JWT"})
    _, payload, signature = issuer.mint().split(".")
    await refused(verifier, f"{header}.{payload}.{signature}")


# -- claims -> identity ---------------------------------------------------------------------------------


async def test_editor_needs_a_component(issuer: LocalIssuer, verifier: TokenVerifier):
    await forbidden(verifier, issuer.mint(issuer.claims(oia_role="editor")))
    identity = await verifier.verify(issuer.mint(issuer.claims(oia_role="editor", oia_component="ICE")))
    assert identity.component == "ICE"


async def test_component_of_a_non_editor_is_ignored(issuer: LocalIssuer, verifier: TokenVerifier):
    identity = await verifier.verify(issuer.mint(issuer.claims(oia_role="admin", oia_component="ICE")))
    assert (identity.role, identity.component) == ("admin", None)


@pytest.mark.parametrize("role", [None, "superuser", "Admin", "", ["admin"], 1])
async def test_no_valid_role_is_forbidden_not_invalid(
    issuer: LocalIssuer, verifier: TokenVerifier, role: Any
):
    await forbidden(verifier, issuer.mint(issuer.claims(oia_role=role)))


async def test_clearance_absent_is_public_present_is_taken(issuer: LocalIssuer, verifier: TokenVerifier):
    assert (await verifier.verify(issuer.mint())).clearance == "public"
    for clearance in ("public", "sbu", "les"):
        token = issuer.mint(issuer.claims(oia_clearance=clearance))
        assert (await verifier.verify(token)).clearance == clearance


@pytest.mark.parametrize("clearance", ["secret", "LES", "", 3])
async def test_unknown_clearance_is_forbidden(issuer: LocalIssuer, verifier: TokenVerifier, clearance: Any):
    await forbidden(verifier, issuer.mint(issuer.claims(oia_clearance=clearance)))


async def test_claim_names_are_configurable(issuer: LocalIssuer, make_verifier: MakeVerifier):
    verifier = make_verifier(
        role_claim="registry_role", component_claim="dhs_component", clearance_claim="registry_clearance"
    )
    claims = issuer.claims(
        oia_role=None, registry_role="editor", dhs_component="USCG", registry_clearance="sbu"
    )
    identity = await verifier.verify(issuer.mint(claims))
    assert (identity.role, identity.component, identity.clearance) == ("editor", "USCG", "sbu")
    await forbidden(verifier, issuer.mint(issuer.claims()))  # oia_role is no longer read


async def test_actor_name_is_azp_else_client_id_else_sub(issuer: LocalIssuer, verifier: TokenVerifier):
    cases = [
        ({"azp": "cbp-case-system", "client_id": "ignored"}, "cbp-case-system"),
        ({"client_id": "ice-staffing"}, "ice-staffing"),
        ({}, "user-1234"),
    ]
    for extra, name in cases:
        identity = await verifier.verify(issuer.mint(issuer.claims(**extra)))
        assert (identity.name, identity.subject, identity.issuer) == (name, "user-1234", issuer.url)


async def test_actor_name_longer_than_the_audit_columns_is_forbidden(
    issuer: LocalIssuer, verifier: TokenVerifier
):
    await forbidden(verifier, issuer.mint(issuer.claims(azp="c" * 101)))


# -- settings and triage --------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithms", ["RS256,HS256", "none", "ES256,hs512", "RS257", ""])
def test_settings_refuse_hmac_none_and_unknown_algorithms(monkeypatch: pytest.MonkeyPatch, algorithms: str):
    monkeypatch.setenv("OIDC_ISSUER", "https://idp.example")
    monkeypatch.setenv("OIDC_ALGORITHMS", algorithms)
    with pytest.raises(ValidationError):
        OidcSettings(_env_file=None)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OIDC_ISSUER", "https://idp.example/realms/dhs")
    monkeypatch.setenv("OIDC_ALGORITHMS", "RS256, PS256")
    monkeypatch.setenv("OIDC_REFETCH_INTERVAL_SECONDS", "10")
    settings = OidcSettings(_env_file=None)
    assert settings.enabled
    assert settings.algorithms == ("RS256", "PS256")
    assert settings.audience == "oia-registry"
    assert settings.refetch_interval_seconds == 10
    assert settings.discovery_url == "https://idp.example/realms/dhs/.well-known/openid-configuration"
    monkeypatch.delenv("OIDC_ISSUER")
    assert not OidcSettings(_env_file=None).enabled


def test_a_jwt_is_told_from_an_api_key():
    assert looks_like_jwt("eyJh.eyJz.c2ln")
    assert not looks_like_jwt("oia_" + "a" * 43)
    assert not looks_like_jwt("oia_a.b.c")
    assert not looks_like_jwt("one.dot")
