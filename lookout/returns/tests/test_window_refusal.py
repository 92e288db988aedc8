"""A return asked for after the window is refused with everything the customer needs: which
order, how long the window is, and the day it closed (C1.7)."""

from __future__ import annotations

from datetime import date

import pytest

from lookout.returns.window import ReturnWindowClosed, check_window

pytestmark = [pytest.mark.commitment("C1.7"), pytest.mark.database_independent]


def test_the_refusal_names_the_order_the_window_and_the_closing_day(settings):
    settings.LOOKOUT_RETURN_WINDOW_DAYS = 90  # the window may only be widened; the words follow

    with pytest.raises(ReturnWindowClosed) as refused:
        check_window(number="LK-7Q2", delivered_on=date(2026, 3, 2), today=date(2026, 6, 1))

    assert refused.value.message == (
        "Order LK-7Q2 can no longer be returned: returns are accepted for 90 days after "
        "delivery, and the return window closed on Sunday 31 May 2026."
    )
    assert refused.value.closed_on == date(2026, 5, 31)
