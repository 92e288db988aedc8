"""Rate limits on sign-in and second-factor attempts (C4.7).

Counters live in Django's cache, which every server process shares (the database cache by
default, Redis at scale), so a limit holds however many workers serve the site. Windows are fixed
slices of the clock (`now // window`): the counter key names its window, so it needs no second
key to know when it resets and the wait can be told to the person in minutes.

Cache keys are keyed HMAC digests (`blind_index`) of the email or IP: the cache table, which is
part of the data inventory, never holds either in plaintext.

Per-IP counters count an IPv6 client by its /64 (`throttle_key_for_ip`): one home connection is
usually given a whole /64, so counting per address would let it try again from a fresh address
after every refusal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from lookout.core.client_ip import network_of
from lookout.vault.blind_index import blind_index, normalise_email

# One IPv6 subscriber is usually given a whole /64 and can use any address in it; an IPv4
# address is already one connection (or a NAT in front of many, which shares one bucket anyway).
IPV6_THROTTLE_PREFIX = 64


@dataclass(frozen=True)
class Bucket:
    """One counter: what it limits (`domain`), whose attempts (`value`) and how many."""

    domain: str
    value: str
    limit: int


@dataclass(frozen=True)
class Throttled:
    """The attempt was refused; `retry_after` seconds until the window ends."""

    retry_after: int
    what: str = "sign-in attempts"

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def message(self) -> str:
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"Too many {self.what}; try again in {self.minutes} {unit}."


def _window() -> tuple[int, int]:
    """The current window number and the seconds left in it."""
    length = settings.LOOKOUT_LOGIN_WINDOW_SECONDS
    now = time.time()
    number = int(now // length)
    return number, max(1, math.ceil((number + 1) * length - now))


def _key(bucket: Bucket, window: int) -> str:
    return f"lookout:throttle:{blind_index(bucket.value, domain=bucket.domain)}:{window}"


def throttle_key_for_ip(ip: str) -> str:
    """What per-IP counters count by: an IPv4 address as it is, an IPv6 address as its /64
    ("2001:db8:1:2::/64"), anything else (no address known) as "unknown" or as it was given."""
    network = network_of(ip, ipv4_prefix=32, ipv6_prefix=IPV6_THROTTLE_PREFIX)
    if network is None:
        return ip or "unknown"
    return str(network.network_address) if network.version == 4 else str(network)


def login_buckets(*, email: str, ip: str) -> list[Bucket]:
    """Per account (the email typed, existing or not, so no enumeration) and per client IP
    (IPv6: per /64)."""
    return [
        Bucket(
            "throttle-account", normalise_email(email), settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT
        ),
        Bucket("throttle-ip", throttle_key_for_ip(ip), settings.LOOKOUT_LOGIN_LIMIT_PER_IP),
    ]


def otp_buckets(*, user_subject: str, ip: str) -> list[Bucket]:
    """Wrong second-factor codes count against the staff member's account and the IP."""
    return [
        Bucket("throttle-otp", user_subject, settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        Bucket("throttle-ip", throttle_key_for_ip(ip), settings.LOOKOUT_LOGIN_LIMIT_PER_IP),
    ]


def reset_buckets(*, email: str, ip: str) -> list[Bucket]:
    """Reset emails per address asked for and per client IP: no flooding anyone's inbox."""
    return [
        Bucket("throttle-reset", normalise_email(email), settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        Bucket("throttle-ip", throttle_key_for_ip(ip), settings.LOOKOUT_LOGIN_LIMIT_PER_IP),
    ]


def check(*, buckets: list[Bucket], what: str = "sign-in attempts") -> Throttled | None:
    """Refuse when any bucket has used up its attempts in this window."""
    window, left = _window()
    for bucket in buckets:
        if (cache.get(_key(bucket, window)) or 0) >= bucket.limit:
            return Throttled(retry_after=left, what=what)
    return None


def record_failure(*, buckets: list[Bucket]) -> None:
    """Count one failed attempt in every bucket; keys expire with their window."""
    window, left = _window()
    for bucket in buckets:
        key = _key(bucket, window)
        cache.add(key, 0, timeout=left + 5)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=left + 5)


def reset(*, bucket: Bucket) -> None:
    """Forget one bucket's failures (the account's own, after a successful sign-in)."""
    window, _ = _window()
    cache.delete(_key(bucket, window))
