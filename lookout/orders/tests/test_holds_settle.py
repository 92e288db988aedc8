"""What `settle_waiting` decides for each waiting order, and what it reports (issue 20): when it
starts asking, the exact end of a hold, what the buyer is told, a processor out of reach, and an
order that changed while it was being decided."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lookout.orders.holds import hold_period, reconcile_after, settle, settle_waiting
from lookout.orders.models import Order, OrderEvent, Status
from lookout.orders.testing import DECLINE_CARD, make_product, pay_on_sandbox
from lookout.orders.tests.test_holds import _checkout, _stock
from lookout.payments.models import Payment
from lookout.testing.ports import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def _waiting(key: str, quantity: int = 1) -> tuple[Order, dict]:
    camera = make_product(stock=5)
    placed = _checkout(camera, quantity, key)
    return Order.objects.get(number=placed["number"]), placed


def _last_note(order: Order) -> str:
    return OrderEvent.objects.filter(order=order).order_by("-at", "-pk").first().note  # type: ignore[union-attr]


def test_the_processor_is_asked_only_once_the_reconcile_delay_is_over(settings):
    settings.LOOKOUT_RECONCILE_AFTER_MINUTES = 12
    first, _ = _waiting("settle-delay-1")
    second, _ = _waiting("settle-delay-2")
    assert reconcile_after() == timedelta(minutes=12)
    start = max(first.placed_at, second.placed_at)
    # before the delay nobody is asked; after it both are, and each is counted
    assert settle_waiting(now=start + timedelta(minutes=12) - timedelta(seconds=1)) == {}
    assert settle_waiting(now=start + timedelta(minutes=12, seconds=1)) == {"waiting": 2}


def test_a_hold_is_over_at_its_last_second_and_the_buyer_is_told_how_long_it_was(settings):
    settings.LOOKOUT_ORDER_HOLD_MINUTES = 45
    order, _ = _waiting("settle-edge-1", quantity=2)
    camera = order.lines.get().product
    before = order.placed_at + hold_period() - timedelta(microseconds=1)
    assert settle_waiting(now=before) == {"waiting": 1}
    assert settle_waiting(now=order.placed_at + hold_period()) == {"expired": 1}
    order.refresh_from_db()
    assert order.status == Status.EXPIRED and _stock(camera) == 5
    assert _last_note(order) == "It was not paid within 45 minutes of being placed."


def test_a_declined_card_is_named_as_declined_to_the_buyer():
    order, placed = _waiting("settle-declined-1")
    pay_on_sandbox(placed["payment_url"], card=DECLINE_CARD)
    assert settle_waiting(now=order.placed_at + reconcile_after() + timedelta(seconds=1)) == {
        "failed": 1
    }
    assert _last_note(order).startswith("Your card was declined")


def test_with_the_processor_out_of_reach_nothing_is_decided(settings):
    order, _ = _waiting("settle-away-1")
    camera = order.lines.get().product
    settings.LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS = False
    settings.LOOKOUT_PAYMENT_PROCESSOR_URL = f"http://127.0.0.1:{free_port()}/sandbox-processor"
    long_after = order.placed_at + hold_period() * 3
    # even long after the hold: the buyer may have paid, and only the processor knows
    assert settle_waiting(now=long_after) == {"unreachable": 1}
    order.refresh_from_db()
    assert order.status == Status.PLACED and _stock(camera) == 4
    assert Payment.objects.get(order_ref=order.pk).status == Payment.Status.CREATED


def test_an_order_paid_while_it_was_being_decided_is_left_as_it_is():
    order, _ = _waiting("settle-changed-1")
    # the payment never reached the processor, and the order became paid meanwhile (by the
    # return page, in another process): this copy still says "placed"
    Payment.objects.filter(order_ref=order.pk).update(processor_reference=None)
    Order.objects.filter(pk=order.pk).update(status=Status.PAID)
    assert settle(order=order, now=order.placed_at + hold_period() * 2) == "changed"
    assert Order.objects.get(pk=order.pk).status == Status.PAID


def test_an_order_paid_by_reconciliation_keeps_its_payment_for_capture_and_refunds():
    order, placed = _waiting("settle-paid-1")
    pay_on_sandbox(placed["payment_url"])
    assert settle_waiting(now=order.placed_at + reconcile_after() + timedelta(seconds=1)) == {
        "paid": 1
    }
    order.refresh_from_db()
    payment = Payment.objects.get(order_ref=order.pk)
    assert order.status == Status.PAID
    assert (order.payment_id, payment.status) == (payment.pk, Payment.Status.AUTHORIZED)
