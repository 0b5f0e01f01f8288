"""Dashboard sign-in through the agency's identity provider: OAuth 2.0 authorization code with PKCE.

Offered when OIDC_ISSUER (the API's token issuer) and DASHBOARD_OIDC_CLIENT_ID are both set. The
dashboard is a public client (no secret: PKCE, RFC 7636, S256, stands in for one). The flow:

1. `/dashboard/login/idp` makes a verifier, a state and a nonce, keeps them in a short-lived signed
   cookie (`SameSite=Lax`: the IdP's redirect back is a cross-site navigation, which a Strict cookie
   would not survive) and redirects the browser to the provider's `authorization_endpoint`.
2. `/dashboard/login/callback` checks the state against that cookie, redeems the code at the
   `token_endpoint` with the verifier (httpx, asynchronously), and verifies the access token exactly
   as the API verifies a bearer token (service.auth.principal_for_token: signature, issuer, audience,
   expiry, role claims). Its principal becomes the dashboard session.

Endpoints come from the issuer's discovery document, fetched and cached like the JWKS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import FastAPI, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.auth import Principal, principal_for_token, token_verifier
from service.errors import ServiceUnavailable
from service.identity.fetch import FetchFailed, fetch_json
from service.web.urls import public_url

from .settings import get_dashboard_settings, session_secret

FLOW_COOKIE = "oia_dashboard_idp"
FLOW_PATH = "/dashboard/login"
CALLBACK_PATH = "/dashboard/login/callback"
FLOW_SECONDS = 600  # time to sign in at the provider
DISCOVERY_SECONDS = 300
HTTP_SECONDS = 5.0
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


class SignInFailed(Exception):
    """The provider's answer cannot start a session: a 400 page that says why."""


@dataclass(frozen=True)
class Flow:
    verifier: str
    state: str
    back_to: str


def enabled(app: FastAPI) -> bool:
    """An issuer the API trusts, and a client id registered for the dashboard at it."""
    return bool(get_dashboard_settings().dashboard_oidc_client_id) and token_verifier(app) is not None


def _discovery_url(app: FastAPI) -> str:
    verifier = token_verifier(app)
    if verifier is None:
        raise SignInFailed("No identity provider is configured.")
    return verifier.settings.discovery_url


def _flows() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(), salt="oia-dashboard-idp-v1")


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def _endpoints(app: FastAPI) -> tuple[str, str]:
    """authorization_endpoint and token_endpoint from the issuer's discovery document (cached)."""
    url = _discovery_url(app)
    cached = _discovered.get(url)
    if cached is None or time.monotonic() - cached[0] > DISCOVERY_SECONDS:
        try:
            async with httpx.AsyncClient(follow_redirects=False) as client:
                document = await fetch_json(client, url, HTTP_SECONDS)
        except FetchFailed as exc:
            raise ServiceUnavailable("The identity provider cannot be reached; try again shortly.") from exc
        cached = (time.monotonic(), document)
        _discovered[url] = cached
    authorize, token = cached[1].get("authorization_endpoint"), cached[1].get("token_endpoint")
    if not isinstance(authorize, str) or not isinstance(token, str):
        raise SignInFailed("The identity provider does not offer the authorization code flow.")
    return authorize, token


async def start(request: Request, back_to: str, secure: bool) -> Response:
    """Redirect to the provider, remembering the verifier and state in a signed cookie."""
    authorize, _ = await _endpoints(request.app)
    flow = Flow(secrets.token_urlsafe(48), secrets.token_urlsafe(24), back_to)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": get_dashboard_settings().dashboard_oidc_client_id,
            "redirect_uri": public_url(request, CALLBACK_PATH),
            "scope": get_dashboard_settings().dashboard_oidc_scope,
            "state": flow.state,
            "code_challenge": _challenge(flow.verifier),
            "code_challenge_method": "S256",
        }
    )
    response = Response(status_code=303, headers={"Location": f"{authorize}?{query}"})
    cookie = _flows().dumps({"v": flow.verifier, "s": flow.state, "b": flow.back_to})
    options: dict[str, Any] = {"path": FLOW_PATH, "secure": secure, "httponly": True, "samesite": "lax"}
    response.set_cookie(FLOW_COOKIE, cookie, FLOW_SECONDS, **options)
    return response


def _flow_of(request: Request, state: str) -> Flow:
    try:
        data = _flows().loads(request.cookies.get(FLOW_COOKIE, ""), max_age=FLOW_SECONDS)
    except BadSignature:
        raise SignInFailed("The sign-in took too long or was started elsewhere; start again.") from None
    if not hmac.compare_digest(str(data.get("s", "")), state):
        raise SignInFailed("The provider's answer does not belong to this sign-in; start again.")
    return Flow(str(data["v"]), state, str(data["b"]))


async def finish(request: Request, app: FastAPI, code: str, state: str) -> tuple[Principal, int, str]:
    """The principal, the token's expiry (Unix seconds) and where to go next, or SignInFailed."""
    flow = _flow_of(request, state)
    _, token_endpoint = await _endpoints(app)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": public_url(request, CALLBACK_PATH),
        "client_id": get_dashboard_settings().dashboard_oidc_client_id or "",
        "code_verifier": flow.verifier,
    }
    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=HTTP_SECONDS) as client:
            answer = await client.post(token_endpoint, data=form)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable("The identity provider cannot be reached; try again shortly.") from exc
    token = answer.json().get("access_token") if answer.status_code == 200 else None
    if not isinstance(token, str):
        raise SignInFailed("The identity provider refused the sign-in; start again.")
    principal = await principal_for_token(app, token)  # 401/403/503 as for the API
    # Verified just above; read again only for its expiry, which bounds the session.
    expires = int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    return principal, expires, flow.back_to


def clear_flow(response: Response, secure: bool) -> None:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=secure, httponly=True, samesite="lax")
