"""Limits on what a visitor can make the store do (issue 23, "think like an attacker").

Opening conversations is counted per client network (a script must not fill the after-sales
queue), and every order number typed on a guest link is counted against the network's one budget
of guesses (the number is the guest link's second factor). Both go through the sign-in attempt
limiter (accounts.throttle, C4.7), so the counters hold across workers and store no address.
"""

from __future__ import annotations

from django.conf import settings

from lookout.accounts.throttle import Bucket, count, guest_code_buckets, throttle_key_for_ip


def count_opening(*, ip: str) -> None:
    """Raises `Throttled` (429) when the network opened its share of conversations."""
    count(
        buckets=[
            Bucket(
                "support-open",
                throttle_key_for_ip(ip),
                int(getattr(settings, "LOOKOUT_SUPPORT_OPEN_LIMIT", 10)),
            )
        ],
        what="new conversations",
    )


def number_buckets(*, ip: str) -> list[Bucket]:
    """An order number typed on a guest link counts as a guess of the network's budget."""
    return guest_code_buckets(ip=ip)
