"""From a verified token's claims to the registry's idea of who is calling: role, component, clearance, actor.

Runs only after the signature and the registered claims (iss, aud, exp, nbf, iat) have been checked. A token
that is genuine but grants no usable role is TokenForbidden (403), not InvalidToken: asking the issuer for a
fresh token would not help, the client's registration at the issuer has to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.identity.errors import InvalidToken, TokenForbidden
from service.identity.settings import OidcSettings
from service.schemas.vocab import Role, Sensitivity

MAX_CLAIM_LENGTH = 255
# created_by / updated_by / actor_name columns are String(100): a longer actor name could not be recorded.
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class TokenIdentity:
    """Who a verified access token speaks for (the lead turns it into the request's principal)."""

    role: str  # admin | editor | reader
    component: str | None  # editors only; None for admin and reader
    clearance: str  # public | sbu | les
    name: str  # audit actor name: azp, else client_id, else sub
    subject: str  # sub
    issuer: str  # iss
    expires_at: datetime  # exp, UTC


def identity_from_claims(claims: dict[str, Any], settings: OidcSettings) -> TokenIdentity:
    """The identity a token's (already verified) claims describe; raises TokenForbidden or InvalidToken."""
    subject = _text(claims.get("sub"))
    issuer = _text(claims.get("iss"))
    if subject is None or issuer is None:
        raise InvalidToken("The token has no usable sub or iss claim.")
    role = claims.get(settings.role_claim)
    if not isinstance(role, str) or role not in Role.__members__:
        raise TokenForbidden("The token carries no valid role for this registry.")
    component = None
    if role == Role.editor:
        component = _text(claims.get(settings.component_claim))
        if component is None:
            raise TokenForbidden("An editor token must name its component.")
    clearance = claims.get(settings.clearance_claim, Sensitivity.public.value)
    # A genuine token with a clearance this registry does not know grants nothing: 403, like a bad role
    # (guessing `public` could hide records from a user who is cleared, and would hide the misconfiguration).
    if not isinstance(clearance, str) or clearance not in Sensitivity.__members__:
        raise TokenForbidden("The token carries a clearance this registry does not know.")
    name = _text(claims.get("azp")) or _text(claims.get("client_id")) or subject
    if len(name) > MAX_NAME_LENGTH:
        raise TokenForbidden(f"The token's azp, client_id or sub exceeds {MAX_NAME_LENGTH} characters.")
    return TokenIdentity(
        role=role,
        component=component,
        clearance=clearance,
        name=name,
        subject=subject,
        issuer=issuer,
        expires_at=_expiry(claims.get("exp")),
    )


def _text(value: object) -> str | None:
    """A non-empty string claim of sane length, or None."""
    if isinstance(value, str) and value.strip() and len(value) <= MAX_CLAIM_LENGTH:
        return value
    return None


def _expiry(exp: object) -> datetime:
    # PyJWT has already checked exp (it accepts numbers and numeric strings); an absurd value still must
    # not become a 500 here.
    try:
        return datetime.fromtimestamp(int(exp), tz=UTC)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidToken("The token's exp claim is not a usable time.") from exc
