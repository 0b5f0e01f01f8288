"""Dashboard sign-in: an API key exchanged for a signed session cookie, checked again on every request.

What the cookie holds: the SHA-256 of the key (what `api_keys.key_hash` stores and
service.auth.principal_for_key looks up), signed with a timestamp by itsdangerous. Never the key itself:
a cookie that leaks from a browser or a log cannot be used as a bearer key against /api/v1, and the
server keeps nothing per session. The hash rather than the key's id: ids are public (every history
entry names its actor's key_id), so with the id a leaked signing secret alone would let anyone mint
a session for any key; with the hash it takes the api_keys table as well. Encrypting the raw key
into the cookie was the other option, but a leaked secret would then expose working API keys.
Every request looks the hash up again through the same cache as the API (AUTH_CACHE_SECONDS), so
a revoked or expired key ends its sessions as quickly as it stops working on the API. The signature
stops forgery; the timestamp bounds a session to DASHBOARD_SESSION_HOURS (8) whatever the browser
does with Max-Age. A stateless cookie cannot be recalled: signing out deletes it from the browser,
and a copy taken earlier stays good until it expires or its key is revoked (revoking the key is the
way to cut off a stolen session).

A session begun at the identity provider (service.dashboard.idp) holds the verified token's principal
(role, component, clearance, name, subject, issuer) and the token's expiry instead: there is no key
to look up again, so it ends when the token would have (or after DASHBOARD_SESSION_HOURS, if sooner).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.auth import Principal, act_as, principal_for_key
from service.identity.api_keys import KEY_PREFIX, hash_key
from service.schemas.vocab import Role, Sensitivity

from .settings import get_dashboard_settings, session_secret

COOKIE = "oia_dashboard"
COOKIE_PATH = "/dashboard"
LOGIN_PATH = "/dashboard/login"
HOME_PATH = "/dashboard"
SALT = "oia-dashboard-session-v1"


class LoginRequired(Exception):
    """No valid session: the page answers 303 to the login page (and drops a stale cookie)."""

    def __init__(self, back_to: str, stale_cookie: bool) -> None:
        super().__init__("sign-in required")
        self.back_to = back_to
        self.stale_cookie = stale_cookie


class CrossSiteForm(Exception):
    """A form POST from another site: 403."""


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    key_hash: str | None  # None: signed in at the identity provider


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(), salt=SALT)


def max_age_seconds() -> int:
    return int(get_dashboard_settings().dashboard_session_hours * 3600)


async def principal_for(request: Request, key_hash: str) -> Principal | None:
    """The key's principal through the API's key cache and lookup (None: unknown, revoked or expired)."""
    principal = await principal_for_key(request.app, key_hash)
    if principal is not None:
        act_as(principal)
    return principal


async def sign_in(request: Request, key: str) -> SignedIn | None:
    """The principal of a key typed into the login form, or None."""
    key = key.strip()
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    key_hash = hash_key(key)
    principal = await principal_for(request, key_hash)
    return SignedIn(principal, key_hash) if principal else None


async def current(request: Request) -> SignedIn | None:
    """The session's principal, re-checked now; None when there is no valid session."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=max_age_seconds())
    except BadSignature:  # altered, signed with another secret, or older than the session's life
        return None
    if isinstance(data, dict) and isinstance(data.get("t"), dict):
        return _token_session(data)
    key_hash = data.get("k") if isinstance(data, dict) else None
    if not isinstance(key_hash, str) or len(key_hash) != 64:
        return None
    principal = await principal_for(request, key_hash)
    return SignedIn(principal, key_hash) if principal else None


def _token_session(data: dict[str, Any]) -> SignedIn | None:
    """The principal an identity-provider session carries, while its token has not expired."""
    if not isinstance(data.get("x"), int) or data["x"] <= time.time():
        return None
    t = data["t"]
    principal = Principal(
        key_id=None,
        name=t["n"],
        role=Role(t["r"]),
        component=t["c"],
        clearance=Sensitivity(t["l"]),
        subject=t["s"],
        issuer=t["i"],
    )
    act_as(principal)
    return SignedIn(principal, None)


async def require(request: Request) -> Principal:
    """The dependency of every page: the signed-in principal, or a LoginRequired redirect."""
    signed_in = await current(request)
    if signed_in is None:
        back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(back_to, stale_cookie=COOKIE in request.cookies)
    return signed_in.principal


def is_loopback_http(request: Request) -> bool:
    """Plain http to this machine (a developer's `make run`): the one case a cookie may lack Secure,
    since browsers drop Secure cookies over http. Behind a proxy the Host is the public name."""
    if request.url.scheme != "http":
        return False
    host = request.url.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_payload(principal: Principal, expires: int) -> dict[str, Any]:
    """What an identity-provider session's cookie holds (signed): the principal and the token's expiry."""
    t = {"n": principal.name, "r": principal.role.value, "c": principal.component}
    t |= {"l": principal.clearance.value, "s": principal.subject, "i": principal.issuer}
    return {"t": t, "x": expires}


def set_session_cookie(response: Response, request: Request, key_hash: str | dict[str, Any]) -> None:
    """The session cookie for a key (its hash) or for an identity-provider sign-in (token_payload)."""
    payload = {"k": key_hash} if isinstance(key_hash, str) else key_hash
    response.set_cookie(
        COOKIE,
        _serializer().dumps(payload),
        max_age=max_age_seconds(),
        path=COOKIE_PATH,
        secure=not is_loopback_http(request),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, secure=not is_loopback_http(request), httponly=True, samesite="strict"
    )


def check_same_origin(request: Request) -> None:
    """CrossSiteForm unless a form POST comes from this site. Browsers send Origin on every POST;
    a request without one (curl, a script with a key) is let through, since SameSite=Strict already
    keeps the cookie off cross-site requests. The host is compared, not the scheme: behind a TLS
    proxy the service sees http while the browser's Origin says https."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CrossSiteForm()
    origin = request.headers.get("origin")
    if origin is None:
        return
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc != request.headers.get("host"):
        raise CrossSiteForm()  # "null" (a sandboxed frame, a file) has no scheme and fails too


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a dashboard path on this site, never another site."""
    if not value or not value.startswith(HOME_PATH) or "\\" in value or value.startswith(LOGIN_PATH):
        return HOME_PATH
    rest = value[len(HOME_PATH) :]
    if rest and rest[0] not in "/?":
        return HOME_PATH
    return value
