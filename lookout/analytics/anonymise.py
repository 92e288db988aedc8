"""Reduce what a request says about a visitor to what the analytics store may keep (C2.4).

Everything here runs before anything is written: the user-agent string and the full IP address
never reach a model field, the path loses tokens and ids, the search words lose digits and
anything shaped like an email address.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from ua_parser import BasicResolver, Domain, Parser, load_builtins

from lookout.core.client_ip import anonymous_network

# Only these sections of the site are recorded with their full (cleaned) path; any other page is
# recorded by its first segment only ("/accounts/"), so no token in an account URL survives.
TRACKED_PREFIXES = ("/c/", "/p/", "/search/", "/compare/", "/cart/", "/checkout/", "/policies/")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HEXISH = re.compile(r"[0-9a-f-]{20,}")
MAX_PATH = 200


@dataclass(frozen=True)
class Device:
    device_class: str
    browser_family: str
    browser_major: str


# A dotted-quad IPv4 address in the only spelling `ipaddress` accepts (no leading zeros).
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
)


def truncate_ip(address: str) -> str:
    """The network of `address`: /24 for IPv4, /48 for IPv6; "" when it is not an address.

    Plain IPv4 (nearly every beacon) takes a string fast path, ~10x cheaper than `ipaddress`
    and proven equal to it by a test; anything else goes through `anonymous_network` (a 6to4
    address is cut at /40, no finer than the IPv4 address inside it)."""
    address = (address or "").strip()
    if _IPV4.fullmatch(address):
        return address[: address.rindex(".")] + ".0/24"
    network = anonymous_network(address)  # shared with the log masking
    return str(network) if network is not None else ""


# Parsing a user agent costs ~0.1-1 ms; a site sees few distinct ones, so results are cached.
# The cache is keyed by a keyed hash of the string, never by the string itself: no user-agent
# string stays in memory after its request (C2.4), only the parsed device, which is what the
# events store anyway. The key is random per process and never leaves it.
_DEVICE_CACHE_SIZE = 4096
_device_key = secrets.token_bytes(32)
_devices: dict[bytes, Device | None] = {}
_devices_lock = threading.Lock()
# ua-parser's global `parse` keeps its own cache keyed by the raw string; ours has none.
_parser: Parser | None = None


def _ua_parser() -> Parser:
    global _parser
    with _devices_lock:
        if _parser is None:
            _parser = Parser(BasicResolver(load_builtins()))
        return _parser


def device(user_agent: str) -> Device | None:
    """Device class and browser family/major version; None for robots (not counted)."""
    key = hashlib.blake2b(user_agent.encode(), key=_device_key, digest_size=16).digest()
    try:
        return _devices[key]
    except KeyError:
        pass
    found = _parse_device(user_agent)
    with _devices_lock:
        if len(_devices) >= _DEVICE_CACHE_SIZE:
            _devices.clear()  # crude but bounded; a busy site refills it within seconds
        _devices[key] = found
    return found


def _parse_device(user_agent: str) -> Device | None:
    result = _ua_parser()(user_agent[:512], Domain.ALL).complete()
    family = result.user_agent.family if result.user_agent else "Other"
    device_family = result.device.family if result.device else ""
    os_family = result.os.family if result.os else ""
    if device_family == "Spider" or "bot" in family.lower():
        return None
    lowered = user_agent.lower()
    if device_family == "iPad" or "tablet" in lowered:
        kind = "tablet"
    elif os_family in ("iOS", "Android") or "mobile" in lowered:
        kind = "mobile" if "ipad" not in lowered else "tablet"
    else:
        kind = "desktop"
    major = result.user_agent.major if result.user_agent and result.user_agent.major else ""
    return Device(kind, family[:40], major[:8] if major.isdigit() else "")


def clean_path(path: str) -> str:
    """A path without query string, tokens or ids: "/cart/<token>/" becomes "/cart/_/"."""
    path = urlsplit(path or "").path or "/"
    if not path.startswith("/"):
        return ""
    if path == "/":
        return "/"
    if not path.startswith(TRACKED_PREFIXES):
        return "/" + path.strip("/").split("/")[0][:40] + "/"
    segments = []
    for seg in path.strip("/").split("/"):
        keep = _SLUG.fullmatch(seg) and len(seg) <= 80 and not _HEXISH.fullmatch(seg)
        segments.append(seg if keep else "_")
    return ("/" + "/".join(segments) + "/")[:MAX_PATH]


def referrer_path(referrer: str, *, host: str) -> str:
    """The referring page's cleaned path if it was on this site, else ""."""
    parts = urlsplit(referrer or "")
    if not parts.netloc or parts.netloc.lower() != host.lower():
        return ""
    return clean_path(parts.path)


def search_terms(query: str) -> str:
    """Lower-case words without digits, '@' or very long words (which could be ids or emails)."""
    words = []
    for word in (query or "").lower().split():
        if any(c.isdigit() for c in word) or "@" in word or len(word) > 30:
            continue
        words.append(word)
    return " ".join(words)[:60]


_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")


def clean_sku(value: object) -> str:
    return value if isinstance(value, str) and _SKU.fullmatch(value) else ""
