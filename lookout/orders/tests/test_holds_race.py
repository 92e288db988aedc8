"""An expiry and a late payment of the same order at the same moment: exactly one outcome
(issue 20, item 1), on real concurrent transactions and the processor's real pages."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.test import Client

from lookout.catalog.models import Product
from lookout.orders.holds import hold_period, settle
from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, submit_card_on_sandbox
from lookout.payments.models import Payment

ROUNDS = 6
DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _together(*calls: Any) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as error:  # reported by the assertion below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _pay_and_come_back(pay_url: str) -> int:
    status, location = submit_card_on_sandbox(pay_url)
    if not status.startswith("303"):
        return int(status[:3])  # the page was closed first: nothing taken
    parts = urlsplit(location)
    return int(Client().get(f"{parts.path}?{parts.query}").status_code)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "partners", "policies")
def test_an_expiry_and_a_late_payment_never_both_win_and_never_both_lose() -> None:
    camera = make_product(stock=ROUNDS)
    outcomes = []
    for round_ in range(ROUNDS):
        # given an order whose hold is just over, and its buyer submitting the card now
        _, cart = make_cart(camera)
        answer = Client().post(
            "/api/v1/checkout/orders",
            {"cart": cart, "idempotency_key": f"race-round-{round_}", "delivery": DELIVERY},
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        order = Order.objects.get(number=answer.json()["number"])
        pay_url = answer.json()["payment_url"]
        after_hold = order.placed_at + hold_period() + timedelta(seconds=1)
        # when the expiry task and the buyer act at the same moment
        results = _together(
            lambda o=order, at=after_hold: settle(order=o, now=at),
            lambda url=pay_url: _pay_and_come_back(url),
        )
        assert not any(isinstance(r, Exception) for r in results), results
        # then exactly one of the two outcomes holds, with its money and stock right
        order.refresh_from_db()
        payment = Payment.objects.get(order_ref=order.pk)
        if order.status == Status.PAID:
            assert payment.status == Payment.Status.AUTHORIZED
            outcomes.append("paid")
        else:
            assert order.status == Status.EXPIRED, order.status
            # nothing is kept: the page refused the card, or the late payment was given back
            assert payment.status in (Payment.Status.FAILED, Payment.Status.REFUNDED)
            assert payment.captured_amount == payment.refunded_amount
            outcomes.append("expired")
    paid = outcomes.count("paid")
    assert Product.objects.get(pk=camera.pk).stock == ROUNDS - paid, outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "partners", "policies")
def test_checkouts_racing_from_one_network_never_hold_more_than_the_limit() -> None:
    from lookout.orders.limits import max_unpaid

    # given six carts of one visitor, each submitted at the same moment from one network
    carts = [make_cart(make_product(stock=5))[1] for _ in range(6)]

    def submit(n: int) -> int:
        answer = Client(REMOTE_ADDR="203.0.113.50").post(
            "/api/v1/checkout/orders",
            {
                "cart": carts[n],
                "idempotency_key": f"racing-hoard-{n}",
                "delivery": {**DELIVERY, "email": f"racer{n}@example.com"},
            },
            content_type="application/json",
        )
        return int(answer.status_code)

    results = _together(*(lambda n=n: submit(n) for n in range(6)))
    # then exactly the limit was admitted and every other submit refused, with no stock held
    assert sorted(results) == [201] * max_unpaid() + [429] * (6 - max_unpaid()), results
    assert Order.objects.filter(status=Status.PLACED).count() == max_unpaid()
    assert Product.objects.filter(stock=4).count() == max_unpaid()
