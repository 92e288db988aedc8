"""Business days of the warehouse: the clock behind "ships in 1-3 business days" (C1.6).

Saturdays, Sundays and the warehouse's own holidays are not business days. Holidays are an
operator setting, `LOOKOUT_WAREHOUSE_HOLIDAYS` (ISO dates, e.g. ["2025-12-25", "2026-01-01"]),
because they depend on where the warehouse is, not on the customer's country.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings

PROCESSING_DAYS_MIN = 1
PROCESSING_DAYS_MAX = 3  # the promise: handed to the carrier within 3 business days


def warehouse_holidays() -> frozenset[date]:
    """The configured holidays; a malformed entry is a configuration error, raised loudly."""
    raw = getattr(settings, "LOOKOUT_WAREHOUSE_HOLIDAYS", ()) or ()
    days: set[date] = set()
    for value in raw:
        days.add(value if isinstance(value, date) else date.fromisoformat(str(value).strip()))
    return frozenset(days)


def is_business_day(day: date, *, holidays: Iterable[date] | None = None) -> bool:
    off = warehouse_holidays() if holidays is None else frozenset(holidays)
    return day.weekday() < 5 and day not in off


def add_business_days(start: date, days: int, *, holidays: Iterable[date] | None = None) -> date:
    """The business day `days` business days after `start` (`start` itself does not count).

    An order paid on a Saturday, with days=3, is due on Wednesday: Monday, Tuesday, Wednesday.
    """
    if days < 0:
        raise ValueError("Counting business days backwards is not supported.")
    off = warehouse_holidays() if holidays is None else frozenset(holidays)
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, holidays=off):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, *, holidays: Iterable[date] | None = None) -> int:
    """How many business days lie after `start` up to and including `end` (0 if end <= start)."""
    off = warehouse_holidays() if holidays is None else frozenset(holidays)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day, holidays=off):
            count += 1
    return count
