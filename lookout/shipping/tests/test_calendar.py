"""Business-day arithmetic behind the ship-by date (C1.6)."""

from __future__ import annotations

from datetime import date

import pytest

from lookout.shipping.calendar import add_business_days, business_days_between, is_business_day
from lookout.shipping.countries import estimate

pytestmark = pytest.mark.database_independent


@pytest.mark.commitment("C1.6")
@pytest.mark.parametrize(
    ("start", "holidays", "expected"),
    [
        (date(2026, 3, 2), [], date(2026, 3, 5)),  # Monday -> Thursday
        (date(2026, 3, 5), [], date(2026, 3, 10)),  # Thursday -> over the weekend -> Tuesday
        (date(2026, 3, 7), [], date(2026, 3, 11)),  # Saturday -> Mon, Tue, Wed
        (date(2026, 3, 2), [date(2026, 3, 3)], date(2026, 3, 6)),  # a holiday pushes a day
        # Year end: Wed 30 Dec 2026, with New Year's Day a holiday -> Mon 4, Tue 5 Jan 2027
        (date(2026, 12, 30), [date(2027, 1, 1)], date(2027, 1, 5)),
        # Christmas Friday and a weekend in between
        (date(2026, 12, 23), [date(2026, 12, 25)], date(2026, 12, 29)),
    ],
)
def test_three_business_days(start: date, holidays: list[date], expected: date) -> None:
    assert add_business_days(start, 3, holidays=holidays) == expected


@pytest.mark.commitment("C1.6")
def test_holidays_come_from_settings(settings) -> None:
    settings.LOOKOUT_WAREHOUSE_HOLIDAYS = ["2026-03-03", "2026-03-04"]
    assert not is_business_day(date(2026, 3, 3))
    assert add_business_days(date(2026, 3, 2), 3) == date(2026, 3, 9)


def test_days_between_and_bad_input() -> None:
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9), holidays=[]) == 1
    with pytest.raises(ValueError):
        add_business_days(date(2026, 3, 2), -1, holidays=[])


def test_estimate_is_within_the_promise(settings) -> None:
    settings.LOOKOUT_WAREHOUSE_HOLIDAYS = []
    e = estimate(country="DE", start=date(2026, 3, 2))
    assert (e.ships_from, e.ships_by) == (date(2026, 3, 3), date(2026, 3, 5))
    assert e.arrives_from < e.arrives_by
