"""The payment processor's way back is no key to the guest's order (issue 19, finding 4).

An attack found that the return address, `/checkout/return/<id>/?access=<token>`, printed the
order number for 90 days; and its token was a guest link, so the address alone (kept by the
processor, the browser's history, a shared screen) opened the guest's order page with name,
address, phone and messages. The number is the guest link's second factor.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.orders.guest import return_hours
from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, pay_on_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _guest_pays() -> tuple[Order, str]:
    """A guest's paid order and the return address the processor sent the browser to."""
    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    placed = Client().post(
        "/api/v1/checkout/orders",
        {"cart": cart, "idempotency_key": "return-link-1", "delivery": DELIVERY},
        content_type="application/json",
    )
    assert placed.status_code == 201, placed.content
    back = pay_on_sandbox(placed.json()["payment_url"])
    return Order.objects.get(number=placed.json()["number"]), back


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.commitment("C4.5")
def test_the_return_page_of_a_guest_order_shows_neither_the_number_nor_the_guest_link() -> None:
    order, back = _guest_pays()
    page = Client().get(_path(back))
    assert page.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.PAID
    text = page.content.decode()
    assert order.number not in text
    assert "/orders/guest/" not in text
    assert "We emailed you a link and your order number" in text


@pytest.mark.commitment("C4.5")
def test_the_return_address_is_not_a_guest_link() -> None:
    order, back = _guest_pays()
    token = parse_qs(urlsplit(back).query)["access"][0]
    # with the return address's token as a guest link, and even with the right number,
    # the guest's order does not open
    client = Client()
    assert client.get(f"/orders/guest/{token}/").status_code == 404
    opened = client.post(f"/orders/guest/{token}/", {"number": order.number})
    assert opened.status_code == 404
    assert "Ada" not in opened.content.decode()


def test_the_return_address_stops_working_hours_after_the_order_was_placed() -> None:
    order, back = _guest_pays()
    with freeze_time(order.placed_at + timedelta(hours=return_hours(), minutes=1)):
        late = Client().get(_path(back))
    assert late.status_code == 404
    with freeze_time(order.placed_at + timedelta(hours=return_hours(), minutes=-1)):
        assert Client().get(_path(back)).status_code == 200


def test_a_signed_in_owner_sees_the_number_on_the_return_page() -> None:
    from lookout.accounts.services import create_account
    from lookout.orders.guest import return_token
    from lookout.orders.payment import begin_payment
    from lookout.orders.services import DeliveryDetails, place_order
    from lookout.orders.testing import US_ADDRESS

    buyer = create_account(email="owner@example.com", password="a-long-enough-pass")
    cart, _ = make_cart(make_product(stock=2))
    order = place_order(
        cart=cart,
        delivery=DeliveryDetails(name="Ada", address=dict(US_ADDRESS), country="US"),
        idempotency_key="owner-1",
        user=buyer,
    )
    url = f"/checkout/return/{order.id}/?access={return_token(order=order)}"
    back = pay_on_sandbox(begin_payment(order=order, return_url=url))
    client = Client()
    client.force_login(buyer)
    page = client.get(_path(back))
    assert page.status_code == 200
    assert order.number in page.content.decode()
