"""Held stock that comes back, and payments that reconcile (issue 20, items 1 and 2).

An independent probe took a product's whole stock with one anonymous API checkout that was never
paid: nothing ever gave it back. And a buyer who paid on the processor's page but never came
back left the order "placed" for ever. `orders.holds.settle_waiting` (the scheduler runs it every
minute) decides every waiting order with the processor's word.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from lookout.catalog.models import Product
from lookout.inbox.models import Message
from lookout.orders.holds import hold_period, reconcile_after, settle_waiting
from lookout.orders.models import Order, Status
from lookout.orders.services import expire_order
from lookout.orders.testing import (
    DECLINE_CARD,
    make_cart,
    make_product,
    pay_on_sandbox,
    submit_card_on_sandbox,
)
from lookout.payments.models import Payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

URL = "/api/v1/checkout/orders"
DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _checkout(product: Product, quantity: int, key: str) -> dict[str, Any]:
    _, cart = make_cart(product, quantity)
    answer = Client().post(
        URL,
        {"cart": cart, "idempotency_key": key, "delivery": DELIVERY},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body: dict[str, Any] = answer.json()
    return body


def _stock(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def _come_back(location: str) -> Any:
    parts = urlsplit(location)
    return Client().get(f"{parts.path}?{parts.query}")


def test_the_hoarding_probe_keeps_no_stock_beyond_the_hold() -> None:
    # given a product with 8 units, all taken by one checkout nobody pays
    camera = make_product(stock=8)
    placed = _checkout(camera, 8, "hoard-everything-1")
    assert _stock(camera) == 0
    order = Order.objects.get(number=placed["number"])
    # when the scheduler's task runs before the hold is over
    early = settle_waiting(now=order.placed_at + hold_period() - timedelta(minutes=1))
    # then the order still waits and keeps its stock (the buyer may still be paying)
    assert early == {"waiting": 1}
    assert _stock(camera) == 0
    # when it runs once the hold is over
    late = settle_waiting(now=order.placed_at + hold_period() + timedelta(seconds=1))
    # then the order expired, every unit is back on sale, and the buyer is told
    assert late == {"expired": 1}
    order.refresh_from_db()
    assert order.status == Status.EXPIRED
    assert order.closed_at is not None
    assert _stock(camera) == 8
    assert Message.objects.filter(subject=order.subject, kind="order_update").count() == 2
    # and the processor's page is closed: a card typed there now is refused, nothing taken
    status, _ = submit_card_on_sandbox(placed["payment_url"])
    assert status.startswith("409"), status
    assert Payment.objects.get(order_ref=order.pk).status == Payment.Status.FAILED
    # and running the task again changes nothing (it is safe to repeat)
    assert settle_waiting(now=order.placed_at + hold_period() + timedelta(minutes=5)) == {}
    assert _stock(camera) == 8


def test_a_buyer_who_paid_but_never_came_back_gets_a_paid_order() -> None:
    # given a buyer who paid on the processor's page and closed the tab
    camera = make_product(stock=3)
    placed = _checkout(camera, 1, "paid-never-back-1")
    pay_on_sandbox(placed["payment_url"])
    order = Order.objects.get(number=placed["number"])
    assert order.status == Status.PLACED
    # when the task runs a few minutes later
    outcome = settle_waiting(now=order.placed_at + reconcile_after() + timedelta(seconds=1))
    # then the store asked the processor, and the order is paid with its ship-by date
    assert outcome == {"paid": 1}
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert order.ship_by is not None
    assert _stock(camera) == 2
    # and even long after the hold, a paid order never expires
    assert settle_waiting(now=order.placed_at + hold_period() * 10) == {}


def test_a_declined_card_whose_buyer_left_gives_the_stock_back_before_the_hold_ends() -> None:
    camera = make_product(stock=2)
    placed = _checkout(camera, 2, "declined-left-1")
    pay_on_sandbox(placed["payment_url"], card=DECLINE_CARD)
    order = Order.objects.get(number=placed["number"])
    outcome = settle_waiting(now=order.placed_at + reconcile_after() + timedelta(seconds=1))
    assert outcome == {"failed": 1}
    order.refresh_from_db()
    assert order.status == Status.PAYMENT_FAILED
    assert _stock(camera) == 2


def test_a_payment_that_lands_after_the_order_expired_is_given_back_in_full() -> None:
    # given an order released at the very moment its buyer was paying (the page still open)
    camera = make_product(stock=1)
    placed = _checkout(camera, 1, "late-payment-1")
    order = Order.objects.get(number=placed["number"])
    expire_order(order=order, note="test: released")
    assert _stock(camera) == 1
    # when the card goes through and the buyer comes back
    back = _come_back(pay_on_sandbox(placed["payment_url"]))
    # then they are told the order was released and the money given back; nothing is kept
    assert back.status_code == 402
    assert "given back in full" in back.content.decode()
    payment = Payment.objects.get(order_ref=order.pk)
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == payment.captured_amount == order.total
    order.refresh_from_db()
    assert order.status == Status.EXPIRED
    assert _stock(camera) == 1


def test_an_order_whose_payment_never_started_expires_too() -> None:
    # given an order whose processor session was never recorded (a crash before it was saved)
    camera = make_product(stock=4)
    placed = _checkout(camera, 4, "never-started-1")
    order = Order.objects.get(number=placed["number"])
    Payment.objects.filter(order_ref=order.pk).update(processor_reference=None, redirect_url="")
    # when the hold is over, then it expires and the stock comes back
    assert settle_waiting(now=timezone.now() + hold_period() + timedelta(minutes=1)) == {
        "expired": 1
    }
    assert _stock(camera) == 4
