"""Turning a JWK Set document into verification keys, indexed by `kid` and then by algorithm.

Each key is bound to the algorithms it may verify when it is loaded, so a token can never choose how its
key is used: an RSA key never verifies an HMAC or an ES256 signature, a P-384 key never verifies ES256,
symmetric (`oct`) and private keys are never loaded, and RSA keys under 2048 bits are skipped.
"""

from __future__ import annotations

import logging
from typing import Any

from jwt import PyJWK
from jwt.exceptions import PyJWTError

log = logging.getLogger(__name__)

ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})

# kid -> algorithm -> key
KeySet = dict[str, dict[str, PyJWK]]


def parse_jwks(document: dict[str, Any], allowed: tuple[str, ...]) -> KeySet:
    """The usable signing keys of a JWKS; raises ValueError when the document has no `keys` list."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("the JWKS has no keys list")
    keys: KeySet = {}
    for jwk in entries:
        if not isinstance(jwk, dict):
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or kid in keys:
            continue  # keys are found by kid only; a repeated kid is ambiguous, the first one wins
        usable = _usable(jwk, allowed)
        if usable:
            keys[kid] = usable
        else:
            log.info("oidc: JWKS key %r is not usable with %s; skipped", kid, ",".join(allowed))
    return keys


def _usable(jwk: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, PyJWK]:
    """The allowed algorithms this JWK can verify, each with the key bound to it."""
    if jwk.get("kty") not in ASYMMETRIC_KEY_TYPES or "d" in jwk:
        return {}
    if jwk.get("use", "sig") != "sig":
        return {}
    declared = jwk.get("alg")
    candidates = [declared] if isinstance(declared, str) else list(allowed)
    usable: dict[str, PyJWK] = {}
    for alg in candidates:
        if alg not in allowed:
            continue
        try:
            key = PyJWK(jwk, algorithm=alg)
            # prepare_key rejects a curve that is not the algorithm's (P-384 for ES256, say).
            prepared = key.Algorithm.prepare_key(key.key)
            if key.Algorithm.check_key_length(prepared):
                continue
        except (PyJWTError, ValueError, TypeError, KeyError):
            continue
        usable[alg] = key
    return usable
