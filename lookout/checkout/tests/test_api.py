"""Checkout through the JSON API: an order per cart and key, validated input, 4xx refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lookout.catalog.models import Product
from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, pay_on_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

URL = "/api/v1/checkout/orders"
US = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _post(body: dict) -> Any:
    return Client().post(URL, body, content_type="application/json")


@pytest.mark.commitment("C2.2")
def test_api_checkout_places_one_order_and_hands_over_to_the_payment_page() -> None:
    # given a cart with a camera
    camera = make_product(stock=3)
    _, token = make_cart(camera)
    body = {"cart": token, "idempotency_key": "retry-me-123", "delivery": US}
    # when the client posts the order twice with the same key (a retry after a timeout)
    first = _post(body)
    second = _post(body)
    # then one order exists, both answers name it, and stock went down once
    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert first.json()["number"] == second.json()["number"]
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=camera.pk).stock == 2
    # and the payment URL leads to the processor's page, where paying settles the order
    pay_on_sandbox(first.json()["payment_url"])
    order = Order.objects.get()
    assert order.status in (Status.PLACED, Status.PAID)
    # and the delivery details are stored sealed: no plaintext name in the row
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM orders_delivery")
        assert "Ada Lovelace" not in str(cursor.fetchall())


def test_same_key_with_another_cart_never_returns_someone_elses_order() -> None:
    # given an order placed with a key
    camera = make_product(stock=5)
    _, token_a = make_cart(camera)
    _, token_b = make_cart(camera)
    a = _post({"cart": token_a, "idempotency_key": "guessable-1", "delivery": US})
    # when another cart posts the same key
    b = _post({"cart": token_b, "idempotency_key": "guessable-1", "delivery": US})
    # then it gets its own order
    assert a.status_code == b.status_code == 201
    assert a.json()["number"] != b.json()["number"]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"delivery": {**US, "postal_code": "ABCDE"}}, 400, "ZIP code"),
        ({"delivery": {**US, "country": "XX"}}, 400, "country we ship to"),
        ({"delivery": {**US, "email": "not-an-email"}}, 400, "email"),
        ({"cart": "A" * 43}, 404, "cart"),
        ({"idempotency_key": "short"}, 422, ""),
        ({"delivery": {"country": "US"}}, 422, ""),
    ],
)
def test_bad_input_is_refused_with_a_clear_4xx_and_changes_nothing(change, status, words) -> None:
    # given a cart
    camera = make_product(stock=3)
    _, token = make_cart(camera)
    body = {"cart": token, "idempotency_key": "bad-input-1", "delivery": US, **change}
    # when the client posts a bad request
    response = _post(body)
    # then it is refused with a sentence, and no order was placed, no stock taken
    assert response.status_code == status, response.content
    assert words.lower() in response.content.decode().lower()
    assert Order.objects.count() == 0
    assert Product.objects.get(pk=camera.pk).stock == 3


def test_sold_out_is_a_409() -> None:
    camera = make_product(stock=1)
    _, token = make_cart(camera, quantity=1)
    Product.objects.filter(pk=camera.pk).update(stock=0)
    response = _post({"cart": token, "idempotency_key": "sold-out-1", "delivery": US})
    assert response.status_code == 409
    assert "sold out" in response.json()["detail"]


@pytest.mark.commitment("C5.3")
def test_a_repeated_checkout_discloses_to_the_payment_processor_once() -> None:
    from lookout.payments.models import Payment
    from lookout.sharing.models import Disclosure

    # given a cart with a camera
    camera = make_product(stock=3)
    _, token = make_cart(camera)
    body = {"cart": token, "idempotency_key": "retry-disclose-1", "delivery": US}
    # when the same submit arrives twice while the order awaits payment
    first = _post(body)
    second = _post(body)
    # then one order, one payment, ONE disclosure, and both answers send the buyer to the same
    # payment page
    assert first.status_code == second.status_code == 201, second.content
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Disclosure.objects.count() == 1
    assert first.json()["payment_url"] == second.json()["payment_url"]


@pytest.mark.commitment("C5.4")
def test_the_order_its_disclosure_and_its_payment_are_committed_together(monkeypatch) -> None:
    """Checkout records the processor disclosure and the payment in the order's own
    transaction (orders.payment.place_and_prepare): a failure half-way leaves nothing."""
    from lookout.payments import services as payments
    from lookout.payments.models import Payment
    from lookout.sharing.models import Disclosure

    # given a cart, and a payment store that fails after the name was disclosed
    camera = make_product(stock=3)
    cart, token = make_cart(camera)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("payment table unavailable")

    monkeypatch.setattr(payments, "reserve_payment", broken)
    # when the client checks out
    with pytest.raises(RuntimeError):
        _post({"cart": token, "idempotency_key": "half-way-1", "delivery": US})
    # then no order, no disclosure, no payment; the stock and the cart are as they were
    assert Order.objects.count() == 0
    assert Disclosure.objects.count() == 0
    assert Payment.objects.count() == 0
    assert Product.objects.get(pk=camera.pk).stock == 3
    assert cart.lines.count() == 1
    # and once the fault is gone, the same submit goes through
    monkeypatch.undo()
    response = _post({"cart": token, "idempotency_key": "half-way-1", "delivery": US})
    assert response.status_code == 201, response.content
    assert Disclosure.objects.count() == Payment.objects.count() == 1


def test_an_order_the_processor_may_not_be_told_about_keeps_no_payment_until_retried() -> None:
    """Checkout writes the order with its payment's id; when the disclosure to the processor is
    refused, no payment is reserved, so the order must not name one."""
    from lookout.payments.models import Payment
    from lookout.sharing.models import Partner

    # given a cart, and no payment processor the store may send a name to
    camera = make_product(stock=3)
    _, token = make_cart(camera)
    Partner.objects.filter(kind="payment_processor").update(active=False)
    body = {"cart": token, "idempotency_key": "no-processor-1", "delivery": US}
    # when the client checks out
    refused = _post(body)
    # then the order is kept, but it names no payment and none was reserved
    assert refused.status_code == 503, refused.content
    assert "send the same request again" in refused.json()["detail"]
    order = Order.objects.get()
    assert order.payment_id is None
    assert Payment.objects.count() == 0
    # and once the processor may be told again, the retry attaches the one payment it starts
    Partner.objects.filter(kind="payment_processor").update(active=True)
    retried = _post(body)
    assert retried.status_code == 201, retried.content
    order.refresh_from_db()
    assert order.payment_id == Payment.objects.get().id
