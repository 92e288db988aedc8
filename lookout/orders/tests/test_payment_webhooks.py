"""The processor tells the store what happened: signed webhooks (issue 20, item 2).

The sandbox processor queues an event for each change of a session (authorized, declined,
captured, refunded, expired, voided) and POSTs it signed to the store's endpoint, as a real
processor does. Here its delivery runs through Django's test client into the real view; the
store then asks the processor for the session's current state. Nothing in these tests runs
reconciliation (`holds.settle_waiting`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from lookout.audit.models import AuditEntry
from lookout.catalog.models import Product
from lookout.orders.models import Order, Status
from lookout.orders.testing import DECLINE_CARD, make_cart, make_product, pay_on_sandbox
from lookout.payments import sandbox_client
from lookout.payments.gateway import get_gateway
from lookout.payments.models import Payment, ProcessorEvent
from sandbox_processor import signing
from sandbox_processor.app import SandboxProcessor
from sandbox_processor.config import default_processor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

CHECKOUT = "/api/v1/checkout/orders"
WEBHOOK = "/orders/webhooks/payments/"
DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}
Delivery = tuple[bytes, dict[str, str]]


def _post(body: bytes, headers: dict[str, str]) -> Any:
    return Client().post(WEBHOOK, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def processor() -> Iterator[SandboxProcessor]:
    """The configured sandbox processor; each test says where its webhooks go."""
    processor = default_processor()
    yield processor
    processor.webhook = lambda body, headers: 200  # drop what a failed test left queued
    processor.deliver_events(limit=1000)
    processor.webhook = None


def _to_store(processor: SandboxProcessor) -> None:
    processor.webhook = lambda body, headers: _post(body, headers).status_code


def _recorded(processor: SandboxProcessor) -> list[Delivery]:
    sent: list[Delivery] = []

    def record(body: bytes, headers: dict[str, str]) -> int:
        sent.append((body, headers))
        return 200

    processor.webhook = record
    return sent


def _checkout(product: Product, key: str) -> tuple[Order, str]:
    _, cart = make_cart(product, 1)
    answer = Client().post(
        CHECKOUT,
        {"cart": cart, "idempotency_key": key, "delivery": DELIVERY},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return Order.objects.get(number=answer.json()["number"]), answer.json()["payment_url"]


def _state(order: Order) -> tuple[Any, ...]:
    order.refresh_from_db()
    payment = _payment(order)
    return (
        order.status,
        payment.status,
        payment.captured_amount,
        payment.refunded_amount,
        AuditEntry.objects.count(),
        order.events.count(),
    )


def _payment(order: Order) -> Payment:
    assert order.payment_id is not None
    return Payment.objects.get(pk=order.payment_id)


def _kinds(sent: list[Delivery]) -> list[str]:
    return [json.loads(body)["type"] for body, _ in sent]


def test_a_buyer_who_paid_and_never_came_back_is_paid_by_the_webhook_alone(processor) -> None:
    camera = make_product(stock=3)
    order, pay_url = _checkout(camera, "webhook-paid-1")
    _to_store(processor)
    # the buyer pays on the processor's page and closes the tab
    pay_on_sandbox(pay_url)
    order.refresh_from_db()
    assert order.status == Status.PLACED
    # when the processor delivers its webhook
    assert processor.deliver_events() == 1
    # then the order is paid, with its ship-by date, without any reconciliation run
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert order.ship_by is not None
    assert _payment(order).status == Payment.Status.AUTHORIZED
    assert Product.objects.get(pk=camera.pk).stock == 2
    # and the processor kept nothing to send again
    assert processor.deliver_events() == 0


def test_a_declined_card_fails_the_order_through_the_webhook(processor) -> None:
    camera = make_product(stock=1)
    order, pay_url = _checkout(camera, "webhook-declined-1")
    _to_store(processor)
    pay_on_sandbox(pay_url, card=DECLINE_CARD)
    assert processor.deliver_events() == 1
    order.refresh_from_db()
    assert order.status == Status.PAYMENT_FAILED
    assert Product.objects.get(pk=camera.pk).stock == 1


def test_a_forged_or_tampered_webhook_is_refused_and_changes_nothing(processor) -> None:
    order, pay_url = _checkout(make_product(stock=2), "webhook-forged-1")
    sent = _recorded(processor)
    pay_on_sandbox(pay_url)
    processor.deliver_events()
    ((body, headers),) = sent
    before = _state(order)
    now = int(time.time())
    forged = {signing.WEBHOOK_HEADER: signing.sign_event("not-the-secret", body, now)}
    tampered = body.replace(b"payment.authorized", b"payment.captured")
    stale = {
        signing.WEBHOOK_HEADER: signing.sign_event(sandbox_client.shared_secret(), body, now - 600)
    }
    for attempt_body, attempt_headers in [
        (body, forged),
        (tampered, headers),
        (body, {}),
        (body, stale),
    ]:
        answer = _post(attempt_body, attempt_headers)
        assert answer.status_code == 401, answer.content
    assert _state(order) == before
    assert before[:2] == (Status.PLACED, Payment.Status.CREATED)
    assert not ProcessorEvent.objects.exists()
    # while the genuine delivery is taken
    assert _post(body, headers).status_code == 200
    assert _state(order)[:2] == (Status.PAID, Payment.Status.AUTHORIZED)


def test_a_replayed_webhook_changes_nothing(processor) -> None:
    order, pay_url = _checkout(make_product(stock=2), "webhook-replay-1")
    sent = _recorded(processor)
    pay_on_sandbox(pay_url)
    processor.deliver_events()
    ((body, headers),) = sent
    assert _post(body, headers).status_code == 200
    applied = _state(order)
    assert applied[:2] == (Status.PAID, Payment.Status.AUTHORIZED)
    # when the same delivery arrives again (a retry, or someone replaying it)
    again = _post(body, headers)
    # then it is acknowledged as a repeat and nothing changes
    assert again.status_code == 200 and again.json()["repeat"] is True
    assert _state(order) == applied


def test_events_delivered_in_reverse_order_end_in_the_processor_state(processor) -> None:
    order, pay_url = _checkout(make_product(stock=2), "webhook-reverse-1")
    sent = _recorded(processor)
    pay_on_sandbox(pay_url)
    # the processor captures and partly refunds (say, from its dashboard): the store did not
    payment = _payment(order)
    reference = str(payment.processor_reference)
    get_gateway().capture(reference)
    get_gateway().refund(reference, amount=Decimal("1.00"), idempotency_key="dashboard-1")
    processor.deliver_events()
    assert _kinds(sent) == ["payment.authorized", "payment.captured", "payment.refunded"]
    # when the events arrive newest first
    for body, headers in reversed(sent):
        answer = _post(body, headers)
        assert answer.status_code == 200, answer.content
    # then the order is paid and the payment holds what the processor holds: captured in
    # full, one dollar refunded (the stale "authorized", last, took nothing back)
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Status.PAID
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        Payment.Status.CAPTURED,
        payment.amount,
        Decimal("1.00"),
    )
    target = f"payments.Payment:{payment.pk}"
    audited = AuditEntry.objects.filter(target=target)
    assert audited.filter(action="payment.captured").count() == 1
    assert audited.filter(action="payment.refunded").count() == 1
