"""Reads of the staff order desk (issue 20): finding an order, and the orders that are late or
stuck, each for the role that must act on it.

- unpaid past the hold: still waiting for payment after `holds.hold_period()`. The scheduler
  expires such an order within a minute, so one still here means the processor could not be
  asked: finance reconciles it.
- not shipped by the ship-by date: paid, not yet handed to the carrier, past its ship-by date
  (C1.6): the warehouse.
- shipped but never delivered: no delivery scan `delivery_overdue_days()` business days after
  shipment: after-sales asks the carrier and the customer.

Nothing here reads a personal value: finding by email compares keyed digests (blind indexes),
and the lists hold numbers, dates and amounts only.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from lookout.orders.holds import hold_period
from lookout.orders.models import OPEN_FOR_WAREHOUSE, Order, Status
from lookout.shipping.calendar import business_days_between
from lookout.vault.blind_index import email_index

DEFAULT_DELIVERY_OVERDUE_DAYS = 10
SEARCH_LIMIT = 50
LIST_LIMIT = 200
NUMBER_SHAPE = re.compile(r"LK-[A-Z0-9]{8}")


def delivery_overdue_days() -> int:
    """Business days after shipment without a delivery scan before after-sales looks into it
    (`LOOKOUT_DELIVERY_OVERDUE_BUSINESS_DAYS`)."""
    return int(
        getattr(settings, "LOOKOUT_DELIVERY_OVERDUE_BUSINESS_DAYS", DEFAULT_DELIVERY_OVERDUE_DAYS)
    )


def normalise_number(text: str) -> str:
    return (text or "").strip().upper()[:20]


def order_numbered(number: str) -> Order | None:
    """The order with exactly this number (case and surrounding spaces ignored)."""
    wanted = normalise_number(number)
    if not NUMBER_SHAPE.fullmatch(wanted):
        return None
    return Order.objects.filter(number=wanted).first()


def orders_for_email(email: str, *, limit: int = SEARCH_LIMIT) -> list[Order]:
    """Orders whose buyer has exactly this email: a guest's delivery email, or the account's
    (its orders carry the account's pseudonymous subject). Matched through the keyed blind
    index, so the email itself is never compared or stored; newest first."""
    from lookout.accounts.models import User

    digest = email_index(email)
    subjects = list(User.objects.filter(email_index=digest).values_list("subject", flat=True))
    found = Order.objects.filter(Q(delivery__email_index=digest) | Q(subject__in=subjects))
    return list(found.order_by("-placed_at", "number")[:limit])


def _listed(orders: QuerySet[Order]) -> list[Order]:
    return list(orders[:LIST_LIMIT])


def unpaid_past_hold(*, now: datetime | None = None) -> list[Order]:
    """Still waiting for payment after the hold: oldest first."""
    cutoff = (now or timezone.now()) - hold_period()
    return _listed(
        Order.objects.filter(status=Status.PLACED, placed_at__lt=cutoff).order_by(
            "placed_at", "number"
        )
    )


def not_shipped_by_ship_by(*, today: date | None = None) -> list[Order]:
    """Paid, not handed to the carrier, past the ship-by date (Order.is_late): oldest date
    first."""
    day = today or timezone.localdate()
    return _listed(
        Order.objects.filter(status__in=OPEN_FOR_WAREHOUSE, ship_by__lt=day).order_by(
            "ship_by", "paid_at", "number"
        )
    )


def shipped_not_delivered(*, today: date | None = None, days: int | None = None) -> list[Order]:
    """Shipped more than `days` business days ago (warehouse calendar) and never delivered:
    oldest shipment first. Each order gets `business_days_out`."""
    day = today or timezone.localdate()
    limit = delivery_overdue_days() if days is None else days
    # N business days span at least N calendar days: the query narrows, the calendar decides.
    start_of_day = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    candidates = Order.objects.filter(
        status=Status.SHIPPED, shipped_at__lt=start_of_day - timedelta(days=limit)
    ).order_by("shipped_at", "number")
    found: list[Order] = []
    for order in candidates.iterator():
        assert order.shipped_at is not None
        out = business_days_between(timezone.localdate(order.shipped_at), day)
        if out > limit:
            order.business_days_out = out  # type: ignore[attr-defined]
            found.append(order)
            if len(found) >= LIST_LIMIT:
                break
    return found
