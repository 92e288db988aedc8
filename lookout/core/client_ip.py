"""The client's IP address, for the per-IP throttles and analytics anonymisation, and the
networks an address is cut to for those (and for the log masking).

Behind a reverse proxy REMOTE_ADDR is the proxy's address: every visitor would share one throttle
bucket (one attacker locks everyone out, and the limit stops protecting anyone) and analytics would
see only the proxy. The proxy's X-Forwarded-For header says who connected to it, but the client
can send that header too, so it is read only for requests that arrive from a proxy named in
`LOOKOUT_TRUSTED_PROXIES`, and then from the right: each trusted proxy appends the address it saw,
so the first untrusted address from the right is the one the outermost trusted proxy saw. Anything
a client put further left is ignored. With no trusted proxies configured (the default) the header
is never read.

The address returned is personal data: use it for counting and anonymising, never log it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:  # settings.py imports this module: keep its imports light
    from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(raw: str) -> tuple[Network, ...]:
    """`LOOKOUT_TRUSTED_PROXIES` ("10.0.0.5, 10.1.0.0/16, fd00::/8") as networks.

    Raises ValueError naming the entry that is neither an IP address nor a network, so a typo stops
    the process at start-up instead of silently trusting nobody (or the wrong range).
    """
    networks: list[Network] = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry)
            mapped = getattr(network.network_address, "ipv4_mapped", None)
            if mapped is not None:  # compared with addresses already turned into IPv4
                network = ipaddress.ip_network(f"{mapped}/{max(network.prefixlen - 96, 0)}")
            networks.append(network)
        except ValueError as error:
            raise ValueError(
                f"LOOKOUT_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                f"({error}); give a comma-separated list such as '10.0.0.5,10.1.0.0/16'."
            ) from None
    return tuple(networks)


def _address(value: str) -> Address | None:
    """`value` as one normalised address: IPv4-mapped IPv6 as IPv4, no IPv6 zone; else None."""
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.scope_id is not None:
            return ipaddress.IPv6Address(int(ip))
    return ip


# What may be kept of an address where the person must not be located by it: the analytics store
# (C2.4) and the log masking cut to these. A /48 is what one site is usually assigned in IPv6.
ANONYMOUS_IPV4_PREFIX = 24
ANONYMOUS_IPV6_PREFIX = 48
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def network_of(address: str, *, ipv4_prefix: int, ipv6_prefix: int) -> Network | None:
    """The network `address` lies in, cut to the prefix for its version; None if not an address.

    The address is normalised first, as `client_ip` does (IPv4-mapped IPv6 counts as IPv4, a zone
    id is dropped). A 6to4 address (2002::/16) carries the IPv4 address of its site in its next
    32 bits, so it is cut no finer than that IPv4 address would be: at 16 + `ipv4_prefix` bits.
    Otherwise /48 of a 6to4 address would keep the full IPv4 address.
    """
    ip = _address(address)
    if ip is None:
        return None
    if ip.version == 4:
        prefix = ipv4_prefix
    elif ip in _SIX_TO_FOUR:
        prefix = min(ipv6_prefix, 16 + ipv4_prefix)
    else:
        prefix = ipv6_prefix
    return ipaddress.ip_network(f"{ip}/{prefix}", strict=False)


def anonymous_network(address: str) -> Network | None:
    """`address` cut to what may be kept of it: its /24 (IPv4) or /48 (IPv6)."""
    return network_of(address, ipv4_prefix=ANONYMOUS_IPV4_PREFIX, ipv6_prefix=ANONYMOUS_IPV6_PREFIX)


def _trusted(ip: Address, networks: Iterable[Network]) -> bool:
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent `request`, in its normal spelling.

    REMOTE_ADDR, unless REMOTE_ADDR is a trusted proxy: then the rightmost X-Forwarded-For entry
    that is not a trusted proxy. An entry that is not an IP address on that walk means the header
    cannot be relied on, and REMOTE_ADDR is used (the safe side: the proxy's one bucket). When
    every entry is a trusted proxy, the leftmost is used (the request began among the proxies).
    """
    remote_raw = str(request.META.get("REMOTE_ADDR", ""))
    remote = _address(remote_raw)
    if remote is None:
        return remote_raw  # not an address (a Unix socket, a test): nothing to normalise or trust
    networks: tuple[Network, ...] = settings.LOOKOUT_TRUSTED_PROXIES
    if not networks or not _trusted(remote, networks):
        return str(remote)
    chosen = remote
    for entry in reversed(str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")):
        hop = _address(entry)
        if hop is None:
            return str(remote)
        chosen = hop
        if not _trusted(hop, networks):
            break
    return str(chosen)
