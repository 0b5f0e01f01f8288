"""Database URLs with several hosts (failover): what SQLAlchemy and asyncpg each accept.

Operators write libpq's form, `postgresql://u@h1:5432,h2:5433/db?target_session_attrs=read-write`.
asyncpg (0.32) parses that itself and tries the hosts in order, keeping the first that satisfies
target_session_attrs (read-write: not in recovery, not default_transaction_read_only). SQLAlchemy's
URL parser cannot (the port would be `5432,h2:5433`); its asyncpg dialect wants the hosts as
repeated query parameters with explicit ports, `postgresql+asyncpg://u@/db?host=h1:5432&host=h2:5433`,
and hands them, with target_session_attrs, to asyncpg.connect. Each new pooled connection therefore
finds whichever host is the primary now: after a promotion, once SQLAlchemy has discarded the
connections to the lost primary, the pool reconnects to the promoted standby without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode

_SCHEMES = ("postgresql+asyncpg://", "postgresql://", "postgres://")
DEFAULT_PORT = 5432


@dataclass(frozen=True)
class PgTarget:
    """A parsed PostgreSQL URL: credentials, one or more (host, port), database, other parameters."""

    userinfo: str  # still percent-encoded, as written
    hosts: tuple[tuple[str, int], ...]
    database: str
    query: tuple[tuple[str, str], ...] = field(default=())
    # Everything after the scheme, as written: a one-host URL is passed on unchanged, so the
    # single-server set-up (sockets, ports, parameters) behaves exactly as before.
    as_written: str = ""

    @property
    def multi_host(self) -> bool:
        return len(self.hosts) > 1

    def sqlalchemy_url(self) -> str:
        """For create_async_engine: one host as written, several as `host=h:p` parameters."""
        if not self.multi_host:
            return "postgresql+asyncpg://" + self.as_written
        if any(":" in host for host, _ in self.hosts):
            # SQLAlchemy splits each `host=` value at every colon.
            raise ValueError("IPv6 addresses are not supported in a multi-host database URL")
        auth = f"{self.userinfo}@" if self.userinfo else ""
        params = [("host", f"{host}:{port}") for host, port in self.hosts] + list(self.query)
        return f"postgresql+asyncpg://{auth}/{quote(self.database, safe='')}?{urlencode(params)}"

    def asyncpg_dsn(self) -> str:
        """For asyncpg.connect: libpq's form (multi-host included), which asyncpg parses itself."""
        if not self.multi_host:
            return "postgresql://" + self.as_written
        auth = f"{self.userinfo}@" if self.userinfo else ""
        hosts = ",".join(f"{_bracket(h)}:{p}" for h, p in self.hosts)
        suffix = f"?{urlencode(list(self.query))}" if self.query else ""
        return f"postgresql://{auth}{hosts}/{quote(self.database, safe='')}{suffix}"

    def display_name(self) -> str:
        """host:port[,host:port]/db without credentials, for reports and logs."""
        return ",".join(f"{_bracket(h)}:{p}" for h, p in self.hosts) + f"/{self.database}"


def parse_target(url: str) -> PgTarget:
    """Parse either multi-host form (or a plain URL); ValueError if it is not a PostgreSQL URL."""
    scheme = next((s for s in _SCHEMES if url.startswith(s)), None)
    if scheme is None:
        raise ValueError("a database URL must start with postgresql:// or postgresql+asyncpg://")
    rest = url[len(scheme) :]
    rest, _, query_text = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, _, hostlist = netloc.rpartition("@")
    hosts = [_host_port(part) for part in hostlist.split(",") if part]
    query: list[tuple[str, str]] = []
    for key, value in parse_qsl(query_text, keep_blank_values=True):
        if key == "host":  # SQLAlchemy's form: host=h1:5432&host=h2:5433 (or host=h1,h2)
            hosts.extend(_host_port(part) for part in value.split(",") if part)
        else:
            query.append((key, value))
    if not hosts:
        raise ValueError("a database URL must name at least one host")
    return PgTarget(userinfo, tuple(hosts), unquote(path), tuple(query), url[len(scheme) :])


def engine_url(url: str) -> str:
    """DATABASE_URL (libpq multi-host form allowed) -> what create_async_engine accepts."""
    return parse_target(url).sqlalchemy_url()


def _host_port(text: str) -> tuple[str, int]:
    if text.startswith("["):  # [::1]:5432
        host, _, port = text[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not host:
        raise ValueError(f"no host in {text!r}")
    return unquote(host), int(port) if port else DEFAULT_PORT


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
