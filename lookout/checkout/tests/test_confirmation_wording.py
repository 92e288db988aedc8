"""The confirmation page promises only what happens (issue 22): an account's order is in the
account and its messages in the Lookout inbox; no order email is sent for it, so none is
promised, whether the buyer comes back signed in or not (an inbox notice by email is the
person's own choice, decision 0040). Signed-in buyers find their orders from the
header."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from lookout.accounts.services import create_account
from lookout.orders.guest import return_token
from lookout.orders.models import Order
from lookout.orders.payment import begin_payment
from lookout.orders.services import DeliveryDetails, place_order
from lookout.orders.testing import US_ADDRESS, make_cart, make_product, pay_on_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def _account_order_paid() -> tuple[Any, Order, str]:
    buyer = create_account(email="owner@example.com", password="a-long-enough-pass")
    cart, _ = make_cart(make_product(stock=2))
    order = place_order(
        cart=cart,
        delivery=DeliveryDetails(name="Ada", address=dict(US_ADDRESS), country="US"),
        idempotency_key="wording-1",
        user=buyer,
    )
    url = f"/checkout/return/{order.id}/?access={return_token(order=order)}"
    back = urlsplit(pay_on_sandbox(begin_payment(order=order, return_url=url)))
    return buyer, order, f"{back.path}?{back.query}"


def test_a_signed_in_buyer_is_pointed_to_their_orders_and_inbox_not_an_email() -> None:
    buyer, order, back = _account_order_paid()
    client = Client()
    client.force_login(buyer)
    page = client.get(back).content.decode()
    assert order.number in page
    assert "email" not in page.split('id="order-status"')[1].split("</p>")[0].lower()
    assert 'href="/orders/"' in page and 'href="/inbox/"' in page
    assert mail.outbox == []


def test_an_account_order_seen_without_its_session_promises_no_email() -> None:
    _, order, back = _account_order_paid()
    page = Client().get(back).content.decode()
    status = page.split('id="order-status"')[1].split("</p>")[0]
    assert "emailed" not in status
    assert "in your account" in status and "inbox" in status
    assert order.number not in page
    assert mail.outbox == []


def test_signed_in_visitors_find_their_orders_from_the_header_and_the_account_page() -> None:
    buyer = create_account(email="owner@example.com", password="a-long-enough-pass")
    client = Client()
    client.force_login(buyer)
    for path in ("/", "/accounts/"):
        page = client.get(path, follow=True).content.decode()
        assert '<a href="/orders/">Your orders</a>' in page, path
