"""The issuer's signing keys, cached: one fetch at a time, unknown `kid`s refetch at most once per interval.

Why the care: every request with a bearer token needs a key, the issuer is another agency's server that can
be slow or down, and a flood of tokens with made-up `kid`s must not turn the registry into a tool for
hammering it. Cached keys keep being served while the issuer is unreachable; a refresh replaces them only
when it succeeds (so a key the issuer stops publishing stops working at the next successful refresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

import httpx
from jwt import PyJWK

from service.identity.errors import IssuerUnavailable
from service.identity.fetch import FetchFailed, fetch_jwks
from service.identity.keyset import KeySet, parse_jwks
from service.identity.settings import OidcSettings

log = logging.getLogger(__name__)


class JwksCache:
    """Keys by `kid` from `<issuer>/.well-known/openid-configuration` -> `jwks_uri`."""

    def __init__(
        self,
        settings: OidcSettings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.enabled:
            raise ValueError("OIDC_ISSUER is not set")
        self._settings = settings
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(follow_redirects=False)
        self._clock = clock
        self._keys: KeySet = {}
        self._fetched_at: float | None = None  # last successful refresh
        self._attempted_at: float | None = None  # last refresh, successful or not: the throttle's origin
        self._last_failed = False
        self._lock = asyncio.Lock()
        self._refresh_task: asyncio.Task[None] | None = None
        self.fetch_count = 0  # refresh attempts, for tests and metrics

    @property
    def refresh_task(self) -> asyncio.Task[None] | None:
        """The refresh in flight (or the last one), so tests can wait for a background refresh."""
        return self._refresh_task

    async def keys_for(self, kid: str) -> dict[str, PyJWK] | None:
        """The key `kid` bound to each algorithm it may verify; None when the reachable issuer lacks it.

        Raises IssuerUnavailable when `kid` is not cached and the issuer could not be reached.
        """
        found = self._keys.get(kid)
        if found is not None:
            if self._stale() and self._throttle_remaining() <= 0:
                self._start_refresh()  # in the background: this request is served from the cache
            return found
        # Many requests missing the cache at once queue here; the first fetches, the rest find its result.
        async with self._lock:
            found = self._keys.get(kid)
            if found is not None:
                return found
            if not self._refreshing():
                remaining = self._throttle_remaining()
                if remaining > 0:
                    return self._after_refresh(kid, retry_after=remaining)
                self._start_refresh()
            # Shielded: a client that hangs up must not abort the fetch the requests behind it are waiting on
            # (the lock is released on cancellation, and the next waiter joins the same task).
            assert self._refresh_task is not None
            await asyncio.shield(self._refresh_task)
            return self._after_refresh(kid, retry_after=self._throttle_remaining())

    async def warm(self) -> bool:
        """Fetch the keys now (at start-up, say); False (and a log line) when the issuer cannot be reached."""
        async with self._lock:
            if not self._refreshing():
                self._start_refresh()
            assert self._refresh_task is not None
            await asyncio.shield(self._refresh_task)
        return not self._last_failed

    async def aclose(self) -> None:
        """Stop a refresh in flight and close the HTTP client if this cache made it."""
        if self._refreshing():
            assert self._refresh_task is not None
            self._refresh_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh_task
        if self._owns_http:
            await self._http.aclose()

    def _after_refresh(self, kid: str, retry_after: float) -> dict[str, PyJWK] | None:
        found = self._keys.get(kid)
        if found is None and self._last_failed:
            raise IssuerUnavailable(
                "The token issuer cannot be reached to fetch its signing key.",
                retry_after=max(1, math.ceil(retry_after)),
            )
        return found

    def _stale(self) -> bool:
        if self._fetched_at is None:
            return True
        return self._clock() - self._fetched_at >= self._settings.jwks_cache_seconds

    def _throttle_remaining(self) -> float:
        if self._attempted_at is None:
            return 0.0
        return self._settings.refetch_interval_seconds - (self._clock() - self._attempted_at)

    def _refreshing(self) -> bool:
        return self._refresh_task is not None and not self._refresh_task.done()

    def _start_refresh(self) -> None:
        if not self._refreshing():
            self._attempted_at = self._clock()
            self._refresh_task = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        self.fetch_count += 1
        try:
            document = await fetch_jwks(self._http, self._settings)
            keys = parse_jwks(document, self._settings.algorithms)
        except (FetchFailed, ValueError) as exc:
            self._last_failed = True
            log.warning("oidc: could not refresh the signing keys of %s: %s", self._settings.issuer, exc)
            return
        except Exception:
            # A bug here must not leave the waiting requests with a 500; they get the outage answer.
            self._last_failed = True
            log.exception("oidc: unexpected error refreshing the signing keys of %s", self._settings.issuer)
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._last_failed = False
        log.info("oidc: %d signing key(s) from %s", len(keys), self._settings.issuer)
