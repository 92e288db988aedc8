"""The 60-day return window (C1.7) and the refund's 10-business-day clock (C1.8).

Day 0 is the calendar day the carrier delivered the parcel (the store's local date); a return
may be requested up to and including day 60, so the window "closes on" delivery + 60 days.
The length is an operator setting, LOOKOUT_RETURN_WINDOW_DAYS (default 60), because a
promise may only be widened; the refund clock counts warehouse business days (weekends and
LOOKOUT_WAREHOUSE_HOLIDAYS do not count, see lookout.shipping.calendar).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from lookout.core.errors import Conflict
from lookout.shipping.calendar import add_business_days

DEFAULT_WINDOW_DAYS = 60
REFUND_DUE_BUSINESS_DAYS = 10


class ReturnWindowClosed(Conflict):
    """The order was delivered more than the window ago; the message gives the closing date."""

    def __init__(self, *, number: str, closed_on: date, days: int):
        super().__init__(
            f"Order {number} can no longer be returned: returns are accepted for {days} days "
            f"after delivery, and the return window closed on {closed_on:%A %d %B %Y}."
        )
        self.closed_on = closed_on


def window_days() -> int:
    return int(getattr(settings, "LOOKOUT_RETURN_WINDOW_DAYS", DEFAULT_WINDOW_DAYS))


def closes_on(delivered_on: date) -> date:
    """The last day on which a return may be requested."""
    return delivered_on + timedelta(days=window_days())


def check_window(*, number: str, delivered_on: date, today: date | None = None) -> date:
    """The closing date when `today` is inside the window; else ReturnWindowClosed."""
    last = closes_on(delivered_on)
    if (today or timezone.localdate()) > last:
        raise ReturnWindowClosed(number=number, closed_on=last, days=window_days())
    return last


def refund_due_on(received_on: date) -> date:
    """The refund must be settled by this business day: 10 business days after receipt."""
    return add_business_days(received_on, REFUND_DUE_BUSINESS_DAYS)
