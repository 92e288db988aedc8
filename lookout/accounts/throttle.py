"""The attempt limiter: the one place every password or code check is counted (C4.7).

Account sign-in, the Django admin's sign-in, the privacy centre's password re-entry, password
change, email change (which re-enters the password), the staff second factor and guest one-time
codes all call `guarded()`; requests that send something (reset links, guest codes, sign-up
notices) call `count()`. Decision 0032 says why it is built this way.

An attempt is counted *before* the check it guards, in one atomic statement per bucket
(INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count, on the `AttemptCount`
table). The number that statement returns is this attempt's place in the window: if it is past
the limit, the attempt is refused without checking anything, however many run at once. Counting
after the check (as this module once did) let parallel attempts all pass the "under the limit?"
read before any of them had written its failure: 24 parallel wrong passwords got 8 checked
against a limit of 5. A check that succeeds gives its own place back (`Attempt.release`), so only
failures use up a limit; it never clears the failures counted before it, for the account or the
network, so signing in to one's own account buys a guesser nothing.

Counters live in the main database, which every server process shares, so a limit holds however
many workers serve the site. Windows are fixed slices of the clock (`now // window`): the counter
names its window, so it needs no reset and the wait can be told in minutes. Rows are deleted once
their window has ended. Counters are keyed HMAC digests (`blind_index`) of the email, network or
account id: the table, part of the data inventory, never holds an email or an address.

Per-network counters count an IPv6 client by its /64 (`throttle_key_for_ip`): one home connection
is usually given a whole /64, so counting per address would let it try again from a fresh address
after every refusal. The client's address is `core.client_ip.client_ip`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from lookout.accounts.models import AttemptCount
from lookout.core.client_ip import network_of
from lookout.core.errors import LookoutError
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


class Throttled(LookoutError):
    """The attempt was refused before anything was checked; `retry_after` seconds until the
    window ends."""

    status_code = 429

    def __init__(self, *, retry_after: int, what: str = "sign-in attempts"):
        self.retry_after = retry_after
        self.what = what
        super().__init__(self._message())

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def _message(self) -> str:
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"Too many {self.what}; try again in {self.minutes} {unit}."


@dataclass(frozen=True)
class Attempt:
    """An attempt that was given a place in every bucket; `release()` gives the places back."""

    keys: tuple[str, ...]

    def release(self) -> None:
        """The check succeeded: this attempt stops counting (earlier failures still count)."""
        AttemptCount.objects.filter(bucket__in=self.keys, count__gt=0).update(count=F("count") - 1)


def _window() -> tuple[int, int]:
    """The current window number and the seconds left in it."""
    length = settings.LOOKOUT_LOGIN_WINDOW_SECONDS
    now = time.time()
    number = int(now // length)
    return number, max(1, math.ceil((number + 1) * length - now))


def _key(bucket: Bucket, window: int) -> str:
    return f"{blind_index(bucket.value, domain=bucket.domain)}:{window}"


# One statement, atomic on SQLite (>= 3.35) and PostgreSQL: the row is created at 1 or raised
# by 1 under its lock, and the value written is the value returned. The names are the model's.
_RAISE_SQL = (
    'INSERT INTO "accounts_attemptcount" ("bucket", "count", "expires_at") VALUES (%s, 1, %s) '
    'ON CONFLICT ("bucket") DO UPDATE SET "count" = "accounts_attemptcount"."count" + 1 '
    'RETURNING "count"'
)


def _raise(key: str, expires_at: datetime) -> int:
    """Add one to the counter `key` and return its new value."""
    with connection.cursor() as cursor:
        cursor.execute(_RAISE_SQL, [key, connection.ops.adapt_datetimefield_value(expires_at)])
        row = cursor.fetchone()
    return int(row[0])


def count(*, buckets: list[Bucket], what: str = "sign-in attempts") -> Attempt:
    """Count one attempt in every bucket; raise `Throttled` if any bucket is past its limit.

    Counted first, checked after: the value the atomic increment returns is this attempt's own
    place, so parallel attempts cannot all see "under the limit". A refused attempt counts too
    (it is still an attempt). Call it outside a transaction that a failure rolls back, or the
    count would roll back with it; every caller does.
    """
    window, left = _window()
    expires_at = datetime.fromtimestamp((window + 1) * settings.LOOKOUT_LOGIN_WINDOW_SECONDS, UTC)
    keys: list[str] = []
    over = False
    for bucket in buckets:
        key = _key(bucket, window)
        keys.append(key)
        place = _raise(key, expires_at)
        if place == 1:  # the first attempt of a window clears the windows that have ended
            AttemptCount.objects.filter(expires_at__lt=timezone.now()).delete()
        over = over or place > bucket.limit
    if over:
        raise Throttled(retry_after=left, what=what)
    return Attempt(keys=tuple(keys))


def guarded[T](
    *, buckets: list[Bucket], check: Callable[[], T], what: str = "sign-in attempts"
) -> T:
    """Run `check` (a password or code check) only if this attempt is within every limit.

    Raises `Throttled` without running `check` when a limit is used up, so even the right
    password or code is refused until the window ends. A truthy result is a success and gives
    the attempt's places back; a falsy result or an exception leaves it counted.
    """
    attempt = count(buckets=buckets, what=what)
    result = check()
    if result:
        attempt.release()
    return result


def throttle_key_for_ip(ip: str) -> str:
    """What per-network counters count by: an IPv4 address as it is, an IPv6 address as its /64
    ("2001:db8:1:2::/64"), anything else (no address known) as "unknown" or as it was given."""
    network = network_of(ip, ipv4_prefix=32, ipv6_prefix=IPV6_THROTTLE_PREFIX)
    if network is None:
        return ip or "unknown"
    return str(network.network_address) if network.version == 4 else str(network)


def _network(ip: str) -> Bucket:
    """The client network's one budget of password and code guesses, shared by every check."""
    return Bucket("throttle-ip", throttle_key_for_ip(ip), settings.LOOKOUT_LOGIN_LIMIT_PER_IP)


def login_buckets(*, email: str, ip: str) -> list[Bucket]:
    """Sign-in (the store's and the admin's): per account (the email typed, existing or not, so
    no enumeration) and per client network (IPv6: per /64)."""
    return [
        Bucket(
            "throttle-account", normalise_email(email), settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT
        ),
        _network(ip),
    ]


def otp_buckets(*, user_subject: str, ip: str) -> list[Bucket]:
    """Wrong second-factor codes count against the staff member's account and the network."""
    return [
        Bucket("throttle-otp", user_subject, settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        _network(ip),
    ]


def reauth_buckets(*, user_subject: str, ip: str) -> list[Bucket]:
    """A signed-in person typing their password again (privacy centre, email change, password
    change): one budget per account for all three, so a borrowed session cannot guess at one
    page after another; and the network's."""
    return [
        Bucket("throttle-privacy-reauth", user_subject, settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        _network(ip),
    ]


def guest_code_buckets(*, ip: str) -> list[Bucket]:
    """Guesses at guests' one-time codes, per client network. Each challenge also limits its own
    guesses (`privacy.verification.MAX_ATTEMPTS`, counted under its row's lock); this stops one
    network from guessing at many challenges."""
    return [_network(ip)]


def reset_buckets(*, email: str, ip: str) -> list[Bucket]:
    """Reset emails per address asked for and per client network: no flooding anyone's inbox."""
    return [
        Bucket("throttle-reset", normalise_email(email), settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        _network(ip),
    ]


def signup_buckets(*, email: str, ip: str) -> list[Bucket]:
    """Sign-ups per email (each may send its owner a notice) and per client network (each is
    also a question about whether an address has an account, answered only by email)."""
    return [
        Bucket("throttle-signup", normalise_email(email), settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT),
        Bucket("throttle-signup-ip", throttle_key_for_ip(ip), settings.LOOKOUT_LOGIN_LIMIT_PER_IP),
    ]
