"""Structured logs that never carry personal data in plaintext.

Code must not log personal values in the first place (the vault hands out ciphertext wrappers
whose repr is masked). This filter is the safety net: it rewrites any email address, card-like
digit run, phone-like number, bearer token in a URL or IP address that still reaches a log record,
in the message, its arguments and the formatted traceback. IP addresses are cut to the network the
analytics store may keep (IPv4 /24, IPv6 /48: `anonymous_network`), so a log still tells which
network a burst of requests came from.

The store's own infrastructure is not a visitor: in log records the filter leaves loopback
addresses (127.0.0.0/8, ::1) and the networks in `LOOKOUT_INFRA_NETWORKS` and
`LOOKOUT_TRUSTED_PROXIES` as they are, so "connection refused to 127.0.0.1:6379" or "proxy
10.0.0.5" still names the machine to look at. Every other address is masked. `mask_text` used as
a personal-data check (audit values, partner names) keeps nothing: there any address is refused.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

from lookout.core.client_ip import Network, anonymous_network

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Not inside a longer token (UUIDs and hashes have digit runs between hyphens and hex letters).
CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
PHONE = re.compile(r"\+\d[\d ().-]{6,}\d")
# Bearer tokens in URLs (cart links, signed order links): whoever holds one holds the cart.
URL_TOKEN = re.compile(r"((?:/cart/|[?&](?:cart|token|ref)=))[A-Za-z0-9_\-.:]{16,}")
IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b")
LOOPBACK: tuple[Network, ...] = (
    ipaddress.IPv4Network("127.0.0.0/8"),
    ipaddress.IPv6Network("::1/128"),
)
# Something shaped like an IPv6 address: at least two colons among hex digits (times such as
# 18:34:50 get this far and are refused by `ipaddress`), an optional dotted IPv4 tail
# (::ffff:192.0.2.1) and zone id (fe80::1%eth0). It must end its run of hex digits, colons and
# word characters; brackets and a port around it ("[2001:db8::1]:8080") are not part of it.
IPV6_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z.])"
    r"(?=[0-9A-Fa-f]*:[0-9A-Fa-f]*:)"
    r"[0-9A-Fa-f:]{2,45}"  # 39 for the longest address, and room for ":port" after it
    r"(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?"
    r"(?:%[\w-]+(?:\.[\w-]+)*)?"
    r"(?![\w:]|\.\d)"
)
_HEX_OR_COLON = frozenset("0123456789abcdefABCDEF:")


def _starts_a_token(text: str, start: int) -> bool:
    """Whether a candidate at `start` is a token of its own, not the tail of a longer run of hex
    and colons (a key fingerprint "AB:CD:...:EF", whose last eight groups parse as IPv6). After a
    colon it is one only when that run begins right after a word ("ip:2001:db8::1", "id:...")."""
    if start == 0 or text[start - 1] != ":":
        return True
    first = start - 1
    while first > 0 and text[first - 1] in _HEX_OR_COLON:
        first -= 1
    return first > 0 and (text[first - 1].isalnum() or text[first - 1] == "_")


def _kept(text: str, keep: tuple[Network, ...]) -> bool:
    """Whether `text` is an address inside one of the `keep` networks (IPv4-mapped IPv6 is
    compared as IPv4, a zone id is ignored)."""
    if not keep:
        return False
    try:
        ip = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in keep if network.version == ip.version)


def _mask_ipv6(match: re.Match[str], keep: tuple[Network, ...] = ()) -> str:
    """An IPv6 address cut to its /48 ("2001:db8:1234::"); an IPv4-mapped one to its IPv4 /24
    ("192.0.2.0"). A run that is an address followed by ":" or ":port" ("2001:db8::1: reset",
    an unbracketed host:port) is the address, masked, and what follows it, kept. Anything else
    `ipaddress` does not take as an address is left as it was, and so is an address in `keep`."""
    text = match.group()
    if not _starts_a_token(match.string, match.start()):
        return text
    # A colon that only separates the address from what comes before it ("id_:2001:db8::1",
    # " :2001:...") is not part of it; "::" at the start is.
    if text.startswith(":") and not text.startswith("::"):
        masked = _mask_ipv6_text(text[1:], keep)
        return ":" + masked
    return _mask_ipv6_text(text, keep)


def _mask_ipv6_text(text: str, keep: tuple[Network, ...]) -> str:
    network, rest, address = anonymous_network(text), "", text
    if network is None:
        head, _, tail = text.rpartition(":")
        if not tail or (len(tail) <= 5 and tail.isdigit()):  # ":" or ":port" after it
            network, rest, address = anonymous_network(head), ":" + tail, head
    if network is None or _kept(address, keep):
        return text
    return str(network.network_address) + rest


def mask_text(text: str, *, keep: Iterable[Network] = ()) -> str:
    """`text` with emails, card and phone numbers, URL tokens and IP addresses masked; an
    address inside a `keep` network (the store's own machines, for logs) is left whole."""
    kept = tuple(keep)
    text = EMAIL.sub("[email]", text)
    text = CARD.sub("[number]", text)
    text = PHONE.sub("[phone]", text)
    text = URL_TOKEN.sub(r"\1[token]", text)
    text = IPV6_CANDIDATE.sub(lambda match: _mask_ipv6(match, kept), text)
    return IPV4.sub(lambda m: m.group() if _kept(m.group(), kept) else m.group(1) + ".0", text)


def infrastructure_networks() -> tuple[Network, ...]:
    """Loopback, `LOOKOUT_INFRA_NETWORKS` and `LOOKOUT_TRUSTED_PROXIES`: the addresses of the
    store's own machines, which logs may name (loopback alone before settings are loaded)."""
    from django.conf import settings

    if not settings.configured:
        return LOOPBACK
    return (
        LOOPBACK
        + tuple(getattr(settings, "LOOKOUT_INFRA_NETWORKS", ()))
        + tuple(getattr(settings, "LOOKOUT_TRUSTED_PROXIES", ()))
    )


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must still be logged, masked
            message = str(record.msg)
        keep = infrastructure_networks()
        record.msg = mask_text(message, keep=keep)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, keep=keep)
        record.exc_info = None
        return True


# The keys of a JSON line, and nothing else: a record's "extra" attributes (Django's request
# logger passes the request itself) never went through the masking filter, so they stay out.
JSON_KEYS = ("time", "level", "logger", "message", "exception")


class JsonFormatter(LibraryJsonFormatter):
    """One JSON object per line for production log shippers (python-json-logger): `time` (ISO
    8601, UTC), `level`, `logger`, `message` and, with a traceback, `exception`. It formats what
    PersonalDataFilter left in the record (the masked message and traceback), so the handler
    must carry that filter (settings.LOGGING)."""

    def __init__(self, **kwargs: Any) -> None:  # settings.LOGGING passes keywords only
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault(
            "rename_fields", {"levelname": "level", "name": "logger", "exc_info": "exception"}
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(**kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: log_data[key] for key in JSON_KEYS if key in log_data}
