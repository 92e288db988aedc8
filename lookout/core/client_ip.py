"""The client's IP address, for the per-IP throttles and analytics anonymisation.

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
            networks.append(ipaddress.ip_network(entry))
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
