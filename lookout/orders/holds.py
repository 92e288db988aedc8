"""Held stock that comes back, and payments that reconcile (issue 20).

Placing an order takes its stock at once, so that two buyers cannot pay for the last unit. An
order nobody pays must not keep it: after the hold (`LOOKOUT_ORDER_HOLD_MINUTES`, default 30)
the order expires and its stock goes back on sale. And a buyer who paid on the processor's page
but never came back must still get their order: from `LOOKOUT_RECONCILE_AFTER_MINUTES` (default
5) on, the store asks the processor what became of each waiting payment.

`settle_waiting` does both for every order still waiting; the scheduler runs it every minute
(task `lookout.orders.tasks.settle_waiting_orders`), and it is safe to run twice at once or
again after a crash: each order is decided under its own row lock, and a payment's outcome is
written once.

Why the processor is asked to close the page before an order expires: a card submitted at the
same moment as the expiry must not be charged for an order whose stock was released. The
processor decides in one step: either the card was taken first (the order is marked paid, not
expired) or the page is closed and any later card is refused there.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from lookout.accounts.throttle import throttle_key_for_ip
from lookout.core.errors import LookoutError, Unavailable
from lookout.orders import services
from lookout.orders.models import Order, Status
from lookout.orders.payment import FAILED_MESSAGES
from lookout.payments.models import Payment
from lookout.payments.services import ProcessorUnavailable, ask_processor
from lookout.vault.blind_index import blind_index, email_index

if TYPE_CHECKING:
    from lookout.accounts.models import User

DEFAULT_HOLD_MINUTES = 30
DEFAULT_RECONCILE_AFTER_MINUTES = 5
EXPIRED_NOTE = "It was not paid within {minutes} minutes of being placed."


def hold_period() -> timedelta:
    return timedelta(
        minutes=int(getattr(settings, "LOOKOUT_ORDER_HOLD_MINUTES", DEFAULT_HOLD_MINUTES))
    )


def reconcile_after() -> timedelta:
    minutes = getattr(settings, "LOOKOUT_RECONCILE_AFTER_MINUTES", DEFAULT_RECONCILE_AFTER_MINUTES)
    return timedelta(minutes=int(minutes))


def settle_waiting(*, now: datetime | None = None, limit: int = 1000) -> Counter[str]:
    """Decide every order waiting for payment longer than `reconcile_after()`, oldest first:
    paid, failed, expired, or still waiting (its hold not over, the buyer still on the page,
    or the processor out of reach: asked again next time). Returns how many of each."""
    now = now or timezone.now()
    waiting = Order.objects.filter(
        status=Status.PLACED, placed_at__lt=now - reconcile_after()
    ).order_by("placed_at")[:limit]
    outcomes: Counter[str] = Counter()
    for order in waiting:
        outcomes[settle(order=order, now=now)] += 1
    return outcomes


def settle(*, order: Order, now: datetime) -> str:
    """One waiting order: what the processor says decides it; without a payment that can
    still be made, an order past its hold expires."""
    over = order.placed_at <= now - hold_period()
    payment = Payment.objects.filter(pk=order.payment_id).first() if order.payment_id else None
    if payment is not None:
        try:
            payment = ask_processor(payment=payment, close=over)
        except ProcessorUnavailable:
            return "unreachable"  # nothing is decided without the processor's word
        if payment.status == Payment.Status.AUTHORIZED:
            services.mark_paid(order=order, payment_id=payment.pk)
            return "paid"
        if payment.status in (Payment.Status.DECLINED, Payment.Status.FAILED) and not over:
            message = FAILED_MESSAGES.get(payment.status, FAILED_MESSAGES["failed"])
            services.mark_payment_failed(order=order, note=message)
            return "failed"
        if payment.status == Payment.Status.CREATED and not over:
            return "waiting"
    if not over:
        return "waiting"
    minutes = int(hold_period().total_seconds() // 60)
    expired = services.expire_order(order=order, note=EXPIRED_NOTE.format(minutes=minutes))
    return "expired" if expired is not None else "changed"


# --- how many unpaid orders one visitor may hold at once ------------------------------------

DEFAULT_MAX_UNPAID = 3
# Placing an order takes milliseconds; a process that dies holding the lock frees it by then.
LOCK_SECONDS = 10
LOCK_WAIT_SECONDS = 3.0


class TooManyHolds(LookoutError):
    """The visitor already holds as many unpaid orders as one may."""

    status_code = 429


def max_unpaid() -> int:
    return int(getattr(settings, "LOOKOUT_MAX_UNPAID_ORDERS", DEFAULT_MAX_UNPAID))


def _client_key(client: str) -> str:
    # Counted as the sign-in limits count a client (an IPv6 /64 as one); a keyed digest, so the
    # cache (a table of the data inventory) never holds the address.
    value = throttle_key_for_ip(client)
    return "lookout:holds:" + blind_index(value, domain="order-holds-client")


@contextmanager
def _locked(key: str) -> Iterator[None]:
    """One checkout at a time per visitor, across every server process (the shared cache's
    `add` is atomic): the count and the order it admits cannot interleave with another's."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(key + ":lock", 1, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            # Transient (503, as any "try again shortly"): the other checkout ends, or the
            # lock of a process that died while holding it lapses within LOCK_SECONDS.
            raise Unavailable(
                "Another checkout from your connection is still being placed. Please try again "
                "in a moment; nothing was charged."
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        cache.delete(key + ":lock")


def _refuse(kind: str) -> TooManyHolds:
    minutes = int(hold_period().total_seconds() // 60)
    return TooManyHolds(
        f"{kind} already {max_unpaid()} orders waiting for payment. Pay for one of them or wait "
        f"until they are released (after {minutes} minutes) before placing another. Nothing "
        "was charged."
    )


@contextmanager
def hold_limit(
    *, client: str, idempotency_key: str, email: str | None = None, user: User | None = None
) -> Iterator[Callable[[Order], None]]:
    """Admit a checkout only while its visitor holds fewer than `max_unpaid()` unpaid orders:
    counted per client address (an IPv6 /64 as one) and per buyer (the guest's email, or the
    account). A repeated submit of an order already placed is always admitted (it places
    nothing). Raises TooManyHolds (429) with what to do; yields `admitted(order)`, which the
    caller calls with the order placed so that it counts for its address.

    Why per address as well as per buyer: a hoarder can invent emails but not addresses. The
    orders of an address are remembered in the shared cache, by id, for the hold period; only
    those still waiting for payment count."""
    key = _client_key(client)
    limit = max_unpaid()
    with _locked(key):
        remembered: list[str] = cache.get(key, [])
        waiting = (
            set(
                Order.objects.filter(pk__in=remembered, status=Status.PLACED).values_list(
                    "pk", flat=True
                )
            )
            if remembered
            else set()
        )
        retry = False
        if len(waiting) >= limit or _buyer_waiting(email=email, user=user) >= limit:
            retry = Order.objects.filter(idempotency_key=idempotency_key).exists()
            if not retry:
                raise _refuse("Your connection has" if len(waiting) >= limit else "You have")

        def admitted(order: Order) -> None:
            ids = [str(pk) for pk in waiting] + [str(order.pk)]
            cache.set(key, sorted(set(ids)), timeout=int(hold_period().total_seconds()) + 60)

        yield admitted


def _buyer_waiting(*, email: str | None, user: User | None) -> int:
    if user is not None:
        return Order.objects.filter(user=user, status=Status.PLACED).count()
    if email:
        return Order.objects.filter(
            status=Status.PLACED, delivery__email_index=email_index(email)
        ).count()
    return 0
