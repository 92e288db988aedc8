"""Late and stuck orders on the desk of the role that must act on them: unpaid past the hold
(finance), not shipped by the ship-by date (warehouse, C1.6), shipped but never delivered
(after-sales). Each list holds exactly those orders (issue 20)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from lookout.access.roles import Role
from lookout.orders import desk_queries
from lookout.orders.cancellation import cancel_order
from lookout.orders.fulfilment import ship_order
from lookout.orders.holds import hold_period
from lookout.orders.models import Order
from lookout.orders.services import start_processing
from lookout.orders.testing import place
from lookout.returns.testing import delivered_order, paid_order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def _set(order: Order, **values) -> Order:
    Order.objects.filter(pk=order.pk).update(**values)
    return Order.objects.get(pk=order.pk)


def _listed(client, section: str) -> set[str]:
    page = client.get("/staff/desk/").content.decode()
    start = page.index(f'id="{section}"')
    end = page.find("</section>", start)
    return set(re.findall(r'data-number="(LK-[A-Z0-9]+)"', page[start:end]))


@pytest.mark.commitment("C4.3")
def test_finance_lists_exactly_the_orders_unpaid_past_the_hold(staff) -> None:
    now = timezone.now()
    stuck = _set(place(), placed_at=now - hold_period() - timedelta(minutes=1))
    _set(place(), placed_at=now - hold_period() + timedelta(minutes=5))  # still on hold
    _set(paid_order(), placed_at=now - timedelta(days=1))  # paid
    cancelled = cancel_order(order=place(), actor=None)
    _set(cancelled, placed_at=now - timedelta(days=1))  # closed
    assert [o.number for o in desk_queries.unpaid_past_hold(now=now)] == [stuck.number]
    _, client = staff(Role.FINANCE)
    assert _listed(client, "unpaid-past-hold") == {stuck.number}
    # and only on finance's desk
    _, warehouse = staff(Role.WAREHOUSE)
    assert 'id="unpaid-past-hold"' not in warehouse.get("/staff/desk/").content.decode()


@pytest.mark.commitment("C1.6", "C4.3")
def test_the_warehouse_lists_exactly_the_paid_orders_past_their_ship_by_date(staff) -> None:
    clerk, client = staff(Role.WAREHOUSE)
    today = timezone.localdate()
    late_paid = _set(paid_order(), ship_by=today - timedelta(days=1))
    late_picking = start_processing(order=paid_order(), actor=clerk)
    late_picking = _set(late_picking, ship_by=today - timedelta(days=3))
    _set(paid_order(), ship_by=today)  # due today: not late yet
    _set(paid_order(), ship_by=today + timedelta(days=2))
    shipped = ship_order(order=paid_order(), actor=clerk).order
    _set(shipped, ship_by=today - timedelta(days=5))  # shipped late, but shipped
    assert [o.number for o in desk_queries.not_shipped_by_ship_by(today=today)] == [
        late_picking.number,
        late_paid.number,
    ]
    assert _listed(client, "not-shipped") == {late_paid.number, late_picking.number}
    # the order page says it is late
    page = client.get(f"/staff/desk/orders/{late_paid.number}/").content.decode()
    assert "late: ship-by date" in page


@pytest.mark.commitment("C4.3")
def test_after_sales_lists_exactly_the_parcels_never_delivered_in_time(staff) -> None:
    clerk, _ = staff(Role.WAREHOUSE)
    now = timezone.now()
    lost = ship_order(order=paid_order(), actor=clerk).order
    lost = _set(lost, shipped_at=now - timedelta(days=30))
    _set(ship_order(order=paid_order(), actor=clerk).order, shipped_at=now - timedelta(days=2))
    _set(delivered_order(clerk), shipped_at=now - timedelta(days=30))  # delivered
    _, client = staff(Role.AFTER_SALES)
    assert _listed(client, "not-delivered") == {lost.number}
    page = client.get("/staff/desk/").content.decode()
    assert 'id="unpaid-past-hold"' not in page and 'id="not-shipped"' not in page


def test_never_delivered_counts_warehouse_business_days(staff) -> None:
    """Shipped on a Monday at noon: ten business days later (the Monday two weeks on) it is
    not yet overdue; the day after it is. A holiday in between moves that by a day."""
    clerk, _ = staff(Role.WAREHOUSE)
    monday = timezone.make_aware(datetime(2026, 3, 2, 12, 0))
    order = _set(ship_order(order=paid_order(), actor=clerk).order, shipped_at=monday)

    def listed(today: date) -> bool:
        found = desk_queries.shipped_not_delivered(today=today, days=10)
        return order.number in {o.number for o in found}

    assert not listed(date(2026, 3, 16))
    assert listed(date(2026, 3, 17))


def test_never_delivered_skips_warehouse_holidays(staff, settings) -> None:
    clerk, _ = staff(Role.WAREHOUSE)
    monday = timezone.make_aware(datetime(2026, 3, 2, 12, 0))
    order = _set(ship_order(order=paid_order(), actor=clerk).order, shipped_at=monday)
    settings.LOOKOUT_WAREHOUSE_HOLIDAYS = ["2026-03-10"]
    found = desk_queries.shipped_not_delivered(today=date(2026, 3, 17), days=10)
    assert order.number not in {o.number for o in found}
    found = desk_queries.shipped_not_delivered(today=date(2026, 3, 18), days=10)
    assert order.number in {o.number for o in found}
