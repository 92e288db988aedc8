"""Payment sessions that recover (issue 27, finding 2).

A fault run left two orders unpaid forever: the processor had opened the payment session but the
store crashed before saving its reference. Every retry then sent a different return address (a
freshly signed link), the processor refused the reused idempotency key, and the store answered
503 "try again" for ever, with the stock held. A retry must send the same request and complete.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, pay_on_sandbox
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


def _post(body: dict[str, Any]) -> Any:
    return Client().post(URL, body, content_type="application/json")


def _crash_before_the_reference_was_saved(order: Order) -> None:
    """The state a crash leaves between the processor's answer and the store's write of it:
    the payment is reserved (it commits with the order) and the processor holds an open
    session under the payment's key, but the store never recorded which session."""
    assert order.payment_id is not None
    Payment.objects.filter(pk=order.payment_id).update(processor_reference=None, redirect_url="")


def test_a_retry_after_a_crash_finds_the_opened_session_and_the_order_gets_paid() -> None:
    # given an API checkout whose payment session was opened at the processor ...
    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    body = {"cart": cart, "idempotency_key": "crash-after-session", "delivery": DELIVERY}
    start = timezone.now()
    with freeze_time(start):
        first = _post(body)
    assert first.status_code == 201, first.content
    order = Order.objects.get(number=first.json()["number"])
    # ... but whose reference the store never saved (it crashed)
    _crash_before_the_reference_was_saved(order)
    # when the client retries the same request a few seconds later
    with freeze_time(start + timedelta(seconds=7)):
        retried = _post(body)
    # then the retry completes: same order, and the processor's session opened the first time
    assert retried.status_code == 201, retried.content
    assert retried.json()["number"] == order.number
    assert retried.json()["payment_url"] == first.json()["payment_url"]
    # and the buyer can pay there and come back to a paid order
    back = pay_on_sandbox(retried.json()["payment_url"])
    answer = Client().get(back)
    assert answer.status_code == 200, answer.content
    order.refresh_from_db()
    assert order.status == Status.PAID


def test_the_return_address_is_the_same_for_every_start_of_one_order() -> None:
    # given an order placed through the API
    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    start = timezone.now()
    with freeze_time(start):
        placed = _post({"cart": cart, "idempotency_key": "same-return-1", "delivery": DELIVERY})
    assert placed.status_code == 201, placed.content
    order = Order.objects.get(number=placed.json()["number"])
    from lookout.orders.guest import order_for_return_token, return_token

    # when the return link's token is made again an hour later
    with freeze_time(start + timedelta(hours=1)):
        again = return_token(order=order)
    # then it is the same token, and it opens that order (and only while the link is valid,
    # counted from when the order was placed)
    with freeze_time(start):
        assert return_token(order=order) == again
    assert order_for_return_token(token=again) == order


def test_a_resubmitted_checkout_form_after_a_crash_goes_to_the_same_payment_page() -> None:
    # given a guest's checkout form submitted once: the order is placed and the processor's
    # session opened, then the store crashed before saving which session
    import re

    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    client = Client(enforce_csrf_checks=True)
    start = timezone.now()
    with freeze_time(start):
        page = client.get(f"/checkout/{cart}/?country=US").content.decode()
        form_token = re.search(r'name="form_token" value="([^"]+)"', page)[1]  # type: ignore[index]
        first = client.post(f"/checkout/{cart}/", {**DELIVERY, "form_token": form_token})
    assert first.status_code == 302, first.content
    order = Order.objects.get()
    _crash_before_the_reference_was_saved(order)
    # when the buyer submits the same form again a little later
    with freeze_time(start + timedelta(seconds=30)):
        again = client.post(f"/checkout/{cart}/", {**DELIVERY, "form_token": form_token})
    # then they reach the payment page the processor opened the first time
    assert again.status_code == 302, again.content
    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_a_mail_server_that_is_down_never_fails_the_page_of_a_paid_order(settings) -> None:
    # given a mail server that refuses connections (the real SMTP backend, a closed port)
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port, "timeout": 2},
        }
    }
    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    placed = _post({"cart": cart, "idempotency_key": "mail-down-1", "delivery": DELIVERY})
    assert placed.status_code == 201, placed.content
    # when the buyer pays and comes back
    back = Client().get(pay_on_sandbox(placed.json()["payment_url"]))
    # then the page says the order is paid; the email's failure stays with its task
    assert back.status_code == 200, back.content
    assert Order.objects.get(number=placed.json()["number"]).status == Status.PAID
