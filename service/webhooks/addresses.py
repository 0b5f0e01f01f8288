"""Which IP addresses a webhook may reach: public unicast only, never loopback, private or metadata."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services that sit outside the ranges below or deserve their own reason.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "192.0.0.192",  # Oracle Cloud
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


def parse_ip(text: str) -> IPAddress | None:
    """The address if `text` is an IP literal (brackets and an IPv6 zone allowed), else None."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def normalise_host(host: str) -> str:
    """A host as the allow-list compares it: lower case, no trailing dot, IP literals in canonical form."""
    host = host.strip().lower().rstrip(".")
    ip = parse_ip(host)
    return str(ip) if ip is not None else host.strip("[]")


def unmapped(ip: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it reaches."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def blocked_reason(address: IPAddress) -> str | None:
    """Why a delivery must not connect to `address`, or None for a public unicast address."""
    ip = unmapped(address)
    # 6to4 (2002::/16): a relay delivers to the IPv4 address inside it, so that address decides. Checked
    # first: Python's own view of 2002::/16 changed between 3.11 patch releases (3.11.2 calls all of it
    # private, 3.11.7 global), so the inner address alone decides, on every Python. NAT64 prefixes
    # (64:ff9b::/96) and IPv4-compatible addresses (::a.b.c.d) fall in the reserved ::/8 below.
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        inner = blocked_reason(ip.sixtofour)
        return None if inner is None else f"a 6to4 address leading to {inner}"
    # Ordered from the most specific reason to the catch-all, so the 422 names the real problem.
    checks: tuple[tuple[bool, str], ...] = (
        (ip in _METADATA, "a cloud metadata address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a shared (CGNAT) address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK, "a 'this network' address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None
