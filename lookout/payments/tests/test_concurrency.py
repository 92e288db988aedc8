"""Simultaneous refunds and repeated submits, on real transactions in separate threads."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.payments.models import Payment
from lookout.payments.services import (
    PaymentConflict,
    capture,
    confirm_payment,
    refund,
    start_payment,
)
from lookout.payments.tests.helpers import SUCCESS, begin, pay_on_page, signed_ref

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("audit_triggers_suspended", "gateway"),
]


def at_once(work: Callable[[], Any], times: int = 2) -> list[Any]:
    """Run `work` in `times` threads released together; results or raised exceptions."""
    barrier = threading.Barrier(times)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_simultaneous_refunds_never_exceed_the_captured_amount(shop, processor):
    # given: a captured payment of $100.00
    start = begin("100.00")
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    payment = confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )
    payment = capture(payment=payment, actor=None)

    # when: two staff members refund $60.00 at the same moment
    results = at_once(lambda: refund(payment=payment, amount=Decimal("60.00"), actor=None))

    # then: one refund went through, the other was refused with a clear message
    refused = [r for r in results if isinstance(r, PaymentConflict)]
    assert len(refused) == 1, results
    assert "left to refund" in refused[0].message
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.refunded_amount == Decimal("60.00")
    assert processor.store.get(str(payment.processor_reference))["refunded_cents"] == 6000


def test_the_same_submit_twice_at_once_makes_one_payment_and_one_session(processor):
    # given: one checkout submit, sent twice at the same moment (double click)
    order_ref = uuid.uuid4()

    def submit():
        return start_payment(
            order_ref=order_ref,
            amount=Decimal("42.00"),
            return_url="/checkout/payment-return/{payment_id}/",
            idempotency_key=f"double-{order_ref}",
        )

    # when
    results = at_once(submit)

    # then
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.payment.pk for r in results}) == 1
    assert len({r.redirect_url for r in results}) == 1
    assert Payment.objects.filter(order_ref=order_ref).count() == 1
    assert processor.store.count(order_ref=str(order_ref)) == 1
