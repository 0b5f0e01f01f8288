"""A local OIDC issuer for tests: real keys, a real HTTP server on 127.0.0.1, tokens minted on demand.

The registry's token verification talks HTTP to its issuer; testing it against a mock of httpx would test the
mock. This issuer serves `/.well-known/openid-configuration` and `/jwks.json` from a thread (so it answers
whatever event loop the test runs on), can rotate and retire keys, go down and come back on the same port,
answer slowly or with an error status, and counts how often its JWKS was fetched. For the dashboard's
sign-in it also plays the authorization server: `/authorize` approves at once (as the user in `login_claims`)
and `/token` redeems the code only with the PKCE verifier that matches its challenge.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "oia-registry"
JWKS_PATH = "/jwks.json"
AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"
DISCOVERY_PATH = "/.well-known/openid-configuration"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


@dataclass(frozen=True)
class SigningKey:
    """A private key the issuer signs with, and the public JWK it publishes for it."""

    kid: str
    alg: str  # the alg published in the JWK and used by default when minting
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk: dict[str, Any] = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def generate_key(alg: str, kid: str | None = None) -> SigningKey:
    """A fresh key for RS*/PS* (RSA 2048) or ES256/ES384 (P-256/P-384)."""
    kid = kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}"
    if alg.startswith(("RS", "PS")):
        return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}[alg]
    return SigningKey(kid, alg, ec.generate_private_key(curve))


class LocalIssuer:
    """An OIDC issuer on 127.0.0.1 with one published RSA (RS256) and one EC P-256 (ES256) key to start."""

    def __init__(self) -> None:
        self.keys: dict[str, SigningKey] = {}
        self.published: list[str] = []
        self.extra_jwks: list[dict[str, Any]] = []  # raw JWKs published as they are (hostile entries)
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self.delay_seconds = 0.0  # every answer waits this long (a slow issuer)
        self.fail_status: int | None = None  # answer every request with this status instead
        self.discovery_issuer: str | None = None  # overrides the discovery document's `issuer`
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.login_claims: dict[str, Any] = {}  # who "signs in" at /authorize (overrides of claims())
        self.codes: dict[str, dict[str, str]] = {}  # authorization code -> what the token request must match
        self.token_requests = 0
        self.rsa = self.add_key("RS256")
        self.ec = self.add_key("ES256")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- keys ------------------------------------------------------------------------------------------

    def add_key(self, alg: str = "RS256", *, kid: str | None = None, publish: bool = True) -> SigningKey:
        key = generate_key(alg, kid)
        with self._lock:
            self.keys[key.kid] = key
            if publish:
                self.published.append(key.kid)
        return key

    def rotate(self, alg: str = "RS256") -> SigningKey:
        """Publish a new key beside the old ones (retire() takes old ones out)."""
        return self.add_key(alg)

    def retire(self, kid: str) -> None:
        with self._lock:
            self.published.remove(kid)

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [self.keys[kid].public_jwk() for kid in self.published] + list(self.extra_jwks)}

    # -- tokens ----------------------------------------------------------------------------------------

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """A valid reader token's claims; an override of None removes that claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "user-1234",
            "iat": now,
            "exp": now + 300,
            "oia_role": "reader",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(
        self,
        claims: dict[str, Any] | None = None,
        *,
        key: SigningKey | None = None,
        alg: str | None = None,
        kid: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """A signed token: `key` (default: the RSA key), `alg` (default: the key's), `kid` in the header."""
        key = key or self.rsa
        header = {"kid": kid or key.kid, **(headers or {})}
        return jwt.encode(claims or self.claims(), key.private_key, algorithm=alg or key.alg, headers=header)

    @staticmethod
    def unsigned(claims: dict[str, Any], kid: str) -> str:
        """`alg: none`, no signature: what a forger sends first."""
        return f"{b64url_json({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{b64url_json(claims)}."

    @staticmethod
    def hmac_signed(claims: dict[str, Any], secret: bytes, kid: str, alg: str = "HS256") -> str:
        """HMAC-signed by hand (PyJWT rightly refuses a PEM as HMAC secret): the key-confusion attack."""
        signing_input = f"{b64url_json({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{b64url_json(claims)}"
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signature = hmac.new(secret, signing_input.encode(), digest).digest()
        return f"{signing_input}.{b64url(signature)}"

    # -- server ----------------------------------------------------------------------------------------

    def start(self) -> LocalIssuer:
        """Serve (again) on the same port; the first start picks a free one."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.block_on_close = False  # a slow answer in flight must not hold up stop()
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """The issuer goes down: the port refuses connections until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalIssuer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _answer(self, path: str) -> tuple[int, dict[str, Any] | None]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if self.fail_status is not None:
            return self.fail_status, None
        if path == DISCOVERY_PATH:
            with self._lock:
                self.discovery_fetches += 1
            issuer = self.discovery_issuer or self.url
            return 200, {
                "issuer": issuer,
                "jwks_uri": self.url + JWKS_PATH,
                "authorization_endpoint": self.url + AUTHORIZE_PATH,
                "token_endpoint": self.url + TOKEN_PATH,
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
        if path == JWKS_PATH:
            with self._lock:
                self.jwks_fetches += 1
            return 200, self.jwks()
        return 404, None

    def _authorize(self, query: str) -> str:
        """The redirect back to the client: a code for a PKCE (S256) request, else an error."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        back = params.get("redirect_uri", "")
        if params.get("response_type") != "code" or params.get("code_challenge_method") != "S256":
            return back + "?" + urlencode({"error": "invalid_request", "state": params.get("state", "")})
        code = uuid.uuid4().hex
        with self._lock:
            self.codes[code] = {k: params.get(k, "") for k in ("code_challenge", "redirect_uri", "client_id")}
        return back + "?" + urlencode({"code": code, "state": params.get("state", "")})

    def _token(self, form: str) -> tuple[int, dict[str, Any]]:
        """Redeem a code once, with the verifier whose S256 digest is its challenge."""
        params = {k: v[0] for k, v in parse_qs(form).items()}
        with self._lock:
            self.token_requests += 1
            grant = self.codes.pop(params.get("code", ""), None)
        verifier = params.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or params.get("grant_type") != "authorization_code"
            or grant["redirect_uri"] != params.get("redirect_uri")
            or grant["client_id"] != params.get("client_id")
            or not hmac.compare_digest(grant["code_challenge"], challenge)
        ):
            return 400, {"error": "invalid_grant"}
        token = self.mint(self.claims(azp=grant["client_id"], **self.login_claims))
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 300}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, document: dict[str, Any] | None) -> None:
                body = json.dumps(document).encode() if document is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode()
                if urlsplit(self.path).path != TOKEN_PATH:
                    self._send(404, None)
                    return
                self._send(*issuer._token(form))

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == AUTHORIZE_PATH:
                    self.send_response(302)
                    self.send_header("Location", issuer._authorize(parts.query))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, document = issuer._answer(self.path)
                body = json.dumps(document).encode() if document is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up (a timeout under test): nothing to report then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        return Handler
