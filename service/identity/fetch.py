"""Fetching the issuer's discovery document and its JWKS over HTTP, without blocking the event loop.

Bounded in time (OIDC_HTTP_TIMEOUT_SECONDS per document, however slowly the server drips bytes) and in
size, so a slow or hostile issuer can cost a request at most a few seconds and a little memory.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from service.identity.settings import OidcSettings

MAX_DOCUMENT_BYTES = 512 * 1024


class FetchFailed(Exception):
    """The issuer could not be reached or answered with something unusable (reason for the log only)."""


async def fetch_json(client: httpx.AsyncClient, url: str, seconds: float) -> dict[str, Any]:
    """GET a JSON object, refusing non-200 answers, oversized bodies and anything that is not an object."""
    try:
        async with asyncio.timeout(seconds):
            async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise FetchFailed(f"{url} answered {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchFailed(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    except TimeoutError as exc:
        raise FetchFailed(f"{url} did not answer within {seconds} s") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchFailed(f"{url}: {type(exc).__name__}") from exc
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise FetchFailed(f"{url} did not send JSON") from exc
    if not isinstance(document, dict):
        raise FetchFailed(f"{url} did not send a JSON object")
    return document


async def fetch_jwks(client: httpx.AsyncClient, settings: OidcSettings) -> dict[str, Any]:
    """Discovery document -> `jwks_uri` -> the JWK Set document (not yet parsed into keys)."""
    timeout = settings.http_timeout_seconds
    discovery = await fetch_json(client, settings.discovery_url, timeout)
    # OIDC Discovery 1.0 section 4.3: the document must name the very issuer it was fetched for; anything
    # else is a misconfiguration or an impersonation, and its keys must not be trusted.
    if discovery.get("issuer") != settings.issuer:
        raise FetchFailed("the discovery document names another issuer")
    jwks_uri = discovery.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise FetchFailed("the discovery document has no http(s) jwks_uri")
    return await fetch_json(client, jwks_uri, timeout)
