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

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from lookout.orders import services
from lookout.orders.limits import hold_period
from lookout.orders.models import Order, Status
from lookout.orders.payment import FAILED_MESSAGES
from lookout.payments.models import Payment
from lookout.payments.services import ProcessorUnavailable, ask_processor

DEFAULT_RECONCILE_AFTER_MINUTES = 5
EXPIRED_NOTE = "It was not paid within {minutes} minutes of being placed."


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
    if not over:
        return "waiting"
    minutes = int(hold_period().total_seconds() // 60)
    expired = services.expire_order(order=order, note=EXPIRED_NOTE.format(minutes=minutes))
    return "expired" if expired is not None else "changed"
