"""Who is calling: the principal behind `Authorization: Bearer <credential>`, and what it may do.

The credential is an API key (`oia_...`, service.identity.api_keys) or, with OIDC_ISSUER set, an
access token from the agency's identity provider (a JWT, service.identity). Either gives a
Principal: a role, (for editors) a component, and a clearance. The principal is also put in the
request's context, where the database layer reads it to set the session's row-level security
settings (service.db) on every connection the request uses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy import text

from service.config import get_settings
from service.db import lookup_session
from service.errors import Forbidden, ServiceUnavailable, Unauthorized
from service.identity import (
    InvalidToken,
    IssuerUnavailable,
    TokenForbidden,
    TokenIdentity,
    TokenVerifier,
    get_oidc_settings,
    looks_like_jwt,
)
from service.identity.api_keys import KEY_PREFIX, TtlCache, hash_key, lookup_key
from service.schemas.vocab import Role, Sensitivity
from service.web.context import set_key_id, set_reader

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="oia-registry"'}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and name (or a token's subject and issuer), its role, (for
    editors) its component, and its clearance: the most sensitive marking it may read."""

    key_id: uuid.UUID | None  # None: a token, the CLI or a seed, not an API key
    name: str
    role: Role
    component: str | None
    clearance: Sensitivity = Sensitivity.public
    subject: str | None = None  # a token's `sub`
    issuer: str | None = None  # a token's `iss`

    @classmethod
    def system(cls, name: str) -> Principal:
        """The CLI, a seed or a benchmark acting as an admin with no key behind it."""
        return cls(key_id=None, name=name, role=Role.admin, component=None, clearance=Sensitivity.les)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def markings(self) -> list[str]:
        """The markings within this principal's clearance."""
        return [s.value for s in Sensitivity if s.rank <= self.clearance.rank]

    @property
    def editor_component(self) -> str | None:
        """The component whose records this principal sees whatever their marking (editors)."""
        return self.component if self.role is Role.editor else None

    def can_read(self, sensitivity: str | None, owner: str | None) -> bool:
        """A record marked above the caller's clearance is invisible, unless the caller is an
        editor of its owning component (owners always see their own)."""
        if sensitivity is None or Sensitivity(sensitivity).rank <= self.clearance.rank:
            return True
        return self.editor_component is not None and owner == self.editor_component

    def ensure_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only an admin key may do this.")

    def ensure_can_write(self, component: str) -> None:
        """Editors write only records owned by their own component; readers write nothing."""
        if self.is_admin:
            return
        if self.role is Role.reader:
            raise Forbidden("A reader key cannot write.")
        if component != self.component:
            raise Forbidden(f"An editor for {self.component} cannot write a record owned by {component}.")


key_cache: TtlCache[Principal] = TtlCache()
token_cache: TtlCache[Principal] = TtlCache()


async def principal_for_key(app: FastAPI, key_hash: str) -> Principal | None:
    """The principal of a live API key, by the key's hash (cached for AUTH_CACHE_SECONDS), or None."""
    hit, principal = key_cache.get(key_hash)
    if not hit:
        # A session of its own, closed at once: were the lookup to hold the request's session, 16
        # requests missing the cache together would each pin a connection while waiting for a
        # second one (the pool deadlocks until its timeout).
        async with lookup_session(app) as session:
            record = await lookup_key(session, key_hash)
        principal = None
        if record is not None:
            principal = Principal(
                key_id=record.id,
                name=record.name,
                role=Role(record.role),
                component=record.component,
                clearance=Sensitivity(record.clearance),
            )
        key_cache.put(key_hash, principal, get_settings().auth_cache_seconds)
    return principal


def token_verifier(app: FastAPI) -> TokenVerifier | None:
    """The app's verifier of agency tokens, made on first use; None when OIDC_ISSUER is unset."""
    verifier: TokenVerifier | None = getattr(app.state, "token_verifier", None)
    if verifier is None and get_oidc_settings().enabled:
        verifier = app.state.token_verifier = TokenVerifier(get_oidc_settings())
    return verifier


def principal_of(identity: TokenIdentity) -> Principal:
    return Principal(
        key_id=None,
        name=identity.name,
        role=Role(identity.role),
        component=identity.component,
        clearance=Sensitivity(identity.clearance),
        subject=identity.subject,
        issuer=identity.issuer,
    )


async def principal_for_token(app: FastAPI, token: str) -> Principal:
    """The principal a valid agency token stands for; 401, 403 or 503 otherwise (RFC 6750)."""
    verifier = token_verifier(app)
    if verifier is None:
        raise _invalid("This server accepts API keys only (no identity provider is configured).")
    token_hash = hash_key(token)
    hit, principal = token_cache.get(token_hash)
    if hit and principal is not None:
        return principal
    try:
        identity = await verifier.verify(token)
    except InvalidToken as exc:
        raise Unauthorized(exc.detail, headers={"WWW-Authenticate": exc.www_authenticate}) from exc
    except TokenForbidden as exc:
        raise Forbidden(exc.detail) from exc
    except IssuerUnavailable as exc:
        retry = {"Retry-After": str(exc.retry_after)}
        raise ServiceUnavailable(exc.detail, headers=retry) from exc
    principal = principal_of(identity)
    if principal.role is Role.editor and not await _known_component(app, principal.component):
        raise Forbidden(f"The token's component '{principal.component}' is not a component code.")
    # A verified token is good until it expires; cached briefly so each request skips the signature.
    seconds_left = (identity.expires_at - _now()).total_seconds()
    token_cache.put(token_hash, principal, min(get_settings().auth_cache_seconds, seconds_left))
    return principal


async def current_principal(request: Request) -> Principal:
    """The caller behind `Authorization: Bearer <key or token>`, or 401."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthorized(
            "An API key or access token is required (Authorization: Bearer ...).", headers=CHALLENGE
        )
    if credential.startswith(KEY_PREFIX):
        principal = await principal_for_key(request.app, hash_key(credential))
        if principal is None:
            raise _invalid("The API key is unknown, revoked or expired.")
    elif looks_like_jwt(credential):
        principal = await principal_for_token(request.app, credential)
    else:
        raise _invalid("The credential is neither an API key nor an access token.")
    act_as(principal)
    return principal


def act_as(principal: Principal) -> None:
    """Make `principal` this context's caller: the access log's key id and the reader whose
    clearance every database connection used from here on applies."""
    set_key_id(principal.key_id or principal.subject)
    set_reader(principal.clearance.rank, principal.editor_component)


def _invalid(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def _known_component(app: FastAPI, code: str | None) -> bool:
    async with lookup_session(app) as session:
        found = await session.scalar(text("SELECT 1 FROM components WHERE code = :code"), {"code": code})
    return found is not None


def _now() -> datetime:
    return datetime.now(UTC)


CurrentKey = Annotated[Principal, Depends(current_principal)]
