"""Reduce what a request says about a visitor to what the analytics store may keep (C2.4).

Everything here runs before anything is written: the user-agent string and the full IP address
never reach a model field, the path loses tokens and ids, the search words lose digits and
anything shaped like an email address.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from ua_parser import parse

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


def truncate_ip(address: str) -> str:
    """The network of `address`: /24 for IPv4, /48 for IPv6; "" when it is not an address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=2048)
def device(user_agent: str) -> Device | None:
    """Device class and browser family/major version; None for robots (not counted)."""
    result = parse(user_agent[:512])
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
