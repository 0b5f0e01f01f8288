"""Where a webhook may be sent: https to public addresses, or any scheme-allowed host on the allow-list.

Used at subscribe time (a reason string for the 422) and again before every delivery attempt, which
connects only to the addresses resolved and checked here (no second DNS lookup, so no DNS rebinding).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

from service.webhooks.addresses import IPAddress, blocked_reason, normalise_host, parse_ip, unmapped

# (host, port) -> the addresses it resolves to, as text; tests inject a stub.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

MAX_URL_LENGTH = 2048
DNS_TIMEOUT_SECONDS = 5.0


class UrlRejected(ValueError):
    """A URL no delivery may go to; `reason` is meant for the 422's detail and a delivery's last_error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's getaddrinfo, run in the loop's executor so the event loop never waits on DNS."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class Target:
    """A checked destination: the URL as subscribed and the addresses a delivery may connect to."""

    url: httpx.URL
    host: str  # ASCII (IDNA) host, IPv6 without brackets
    addresses: tuple[IPAddress, ...]
    allow_listed: bool

    def url_for(self, address: IPAddress) -> httpx.URL:
        """The URL with its host replaced by one checked address (what the connection goes to)."""
        return self.url.copy_with(host=str(address))

    @property
    def host_header(self) -> str:
        """`Host` as the receiver expects it: the original name, with the port when one was given."""
        return self.url.netloc.decode("ascii")

    @property
    def sni_hostname(self) -> str | None:
        """The name TLS sends and verifies the certificate against; None for an IP literal URL."""
        return None if parse_ip(self.host) is not None else self.host


class UrlPolicy:
    """The rules of API.md: https only, every resolved address public, unless the host is allow-listed."""

    def __init__(
        self,
        allow_hosts: Iterable[str] = (),
        resolver: Resolver = system_resolver,
        dns_timeout: float = DNS_TIMEOUT_SECONDS,
    ) -> None:
        self.allow_hosts = frozenset(normalise_host(h) for h in allow_hosts if h.strip())
        self.resolver = resolver
        self.dns_timeout = dns_timeout

    def parse(self, url: str) -> httpx.URL:
        """The URL if its form is acceptable (scheme, host, no credentials), else UrlRejected."""
        if len(url) > MAX_URL_LENGTH:
            raise UrlRejected(f"the URL is longer than {MAX_URL_LENGTH} characters")
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            raise UrlRejected("the URL is not valid") from exc
        if parsed.scheme not in ("https", "http") or not parsed.raw_host:
            raise UrlRejected("the URL must be https://host/...")
        if parsed.userinfo:
            # Credentials would be stored and shown on every GET; receivers authenticate by the signature.
            raise UrlRejected("the URL must not contain credentials")
        if parsed.scheme == "http" and not self.is_allow_listed(parsed):
            raise UrlRejected("the URL must use https (plain http only for hosts in WEBHOOK_ALLOW_HOSTS)")
        return parsed

    def is_allow_listed(self, url: httpx.URL) -> bool:
        """Whether the URL's host is in WEBHOOK_ALLOW_HOSTS (exact name or IP literal)."""
        return normalise_host(url.raw_host.decode("ascii")) in self.allow_hosts

    async def target(self, url: str) -> Target:
        """Parse, resolve once and check every address; UrlRejected names the first problem found."""
        parsed = self.parse(url)
        host = parsed.raw_host.decode("ascii").strip("[]")
        allow_listed = self.is_allow_listed(parsed)
        literal = parse_ip(host)
        addresses = (unmapped(literal),) if literal is not None else await self._resolve(host, _port(parsed))
        if not allow_listed:
            for address in addresses:
                reason = blocked_reason(address)
                if reason is not None:
                    what = "is" if literal is not None else "resolves to"
                    raise UrlRejected(f"the URL's host {what} {reason}")
        return Target(url=parsed, host=host, addresses=addresses, allow_listed=allow_listed)

    async def refusal(self, url: str) -> str | None:
        """Subscribe-time check: why the URL is refused (the 422's detail), or None when it is fine."""
        try:
            await self.target(url)
        except UrlRejected as exc:
            return exc.reason
        return None

    async def _resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """Every address of `host`, IPv4-mapped ones as IPv4, in the resolver's order, without repeats."""
        try:
            async with asyncio.timeout(self.dns_timeout):
                answers = await self.resolver(host, port)
        except TimeoutError as exc:
            raise UrlRejected("the URL's host did not resolve in time") from exc
        except (OSError, UnicodeError) as exc:
            raise UrlRejected("the URL's host does not resolve") from exc
        addresses: dict[IPAddress, None] = {}
        for answer in answers:
            ip = parse_ip(answer)
            if ip is None:
                raise UrlRejected("the URL's host does not resolve")
            addresses[unmapped(ip)] = None
        if not addresses:
            raise UrlRejected("the URL's host does not resolve")
        return tuple(addresses)


def _port(url: httpx.URL) -> int:
    """The explicit port or the scheme's default."""
    return url.port or (443 if url.scheme == "https" else 80)
