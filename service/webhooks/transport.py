"""One delivery attempt over HTTP: checked addresses only, no redirects, bounded in time and in what it reads.

The URL's host is resolved once (url_policy), every address checked, and the connection made to a checked
address itself: the request URL carries the IP, while `Host` and TLS (SNI and certificate verification)
keep the original name through httpcore's `sni_hostname` request extension.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from service.webhooks.addresses import IPAddress
from service.webhooks.url_policy import Target, UrlPolicy, UrlRejected

USER_AGENT = "OIA-Registry-Webhooks/1.1"
MAX_ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt came to; `error` is None only on success (any 2xx)."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    response_excerpt: str  # at most max_response_bytes of the body, never more
    address: str | None  # the IP the last connection went to


class WebhookSender:
    """Posts signed bodies to subscribers' URLs; safe to share between tasks."""

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        timeout: float = 10.0,
        max_response_bytes: int = 4096,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        # Built once: loading the CA bundle for every attempt would cost more than most deliveries.
        self.ssl_context = ssl_context or httpx.create_ssl_context()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> AttemptResult:
        """Resolve, check and POST within `timeout` seconds in all; never raises for the receiver's faults."""
        started = time.monotonic()
        tried: list[str] = []
        try:
            async with asyncio.timeout(self.timeout):
                target = await self.policy.target(url)
                return await self._post_to(target, body, headers, started, tried)
        except UrlRejected as exc:
            return _result(started, error=f"refused: {exc.reason}")
        except (TimeoutError, httpx.TimeoutException):
            return _result(started, error=f"no answer within {self.timeout:g} s", tried=tried)

    async def _post_to(
        self, target: Target, body: bytes, headers: Mapping[str, str], started: float, tried: list[str]
    ) -> AttemptResult:
        """Try the checked addresses in the resolver's order until one accepts the connection."""
        error = "no address to connect to"
        for address in target.addresses:
            tried.append(str(address))
            try:
                return await self._exchange(target, address, body, headers, started, tried)
            except httpx.ConnectError as exc:  # refused, unreachable or a TLS failure: next address
                error = f"could not connect: {_describe(exc)}"
            except httpx.TimeoutException:
                raise
            except httpx.HTTPError as exc:  # the receiver answered something that is not HTTP
                return _result(started, error=f"bad response: {_describe(exc)}", tried=tried)
        return _result(started, error=error, tried=tried)

    async def _exchange(
        self,
        target: Target,
        address: IPAddress,
        body: bytes,
        headers: Mapping[str, str],
        started: float,
        tried: list[str],
    ) -> AttemptResult:
        """One request on a fresh connection to `address`; reads at most max_response_bytes back."""
        request_headers = httpx.Headers(headers)
        request_headers["host"] = target.host_header
        request_headers["user-agent"] = USER_AGENT
        request_headers["accept-encoding"] = "identity"  # the excerpt is raw bytes: nothing to inflate
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        # A fresh client per attempt: a pooled connection is keyed by IP, and reusing one for another
        # host name on the same IP would skip that name's certificate check. trust_env=False: a proxy
        # from the environment would resolve the name itself and undo the address check.
        async with (
            httpx.AsyncClient(
                verify=self.ssl_context,
                trust_env=False,
                follow_redirects=False,
                timeout=self.timeout,
                limits=httpx.Limits(max_keepalive_connections=0),
            ) as client,
            client.stream(
                "POST", target.url_for(address), content=body, headers=request_headers, extensions=extensions
            ) as response,
        ):
            excerpt = await _read_capped(response, self.max_response_bytes)
        return _result(started, status_code=response.status_code, excerpt=excerpt, tried=tried)


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The first `limit` bytes of the body, as sent (no decoding); the rest is never read."""
    kept = bytearray()
    if limit <= 0:
        return b""
    async for chunk in response.aiter_raw():
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break
    return bytes(kept)


def _result(
    started: float,
    *,
    status_code: int | None = None,
    error: str | None = None,
    excerpt: bytes = b"",
    tried: list[str] | None = None,
) -> AttemptResult:
    """An AttemptResult; a status code decides success unless an error was given."""
    if error is None and status_code is not None and not 200 <= status_code < 300:
        redirect = 300 <= status_code < 400
        error = f"redirect not followed (HTTP {status_code})" if redirect else f"HTTP {status_code}"
    return AttemptResult(
        ok=error is None and status_code is not None,
        status_code=status_code,
        error=error[:MAX_ERROR_CHARS] if error else None,
        duration_ms=round((time.monotonic() - started) * 1000),
        response_excerpt=excerpt.decode("utf-8", errors="replace"),
        address=tried[-1] if tried else None,
    )


def _describe(exc: Exception) -> str:
    """A short, single-line description of a transport error."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
