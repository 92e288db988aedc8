"""Checkout reserves the payment in the order's own transaction (`new=True`, no look first)
and hands the reserved Payment to `start_payment`, which then need not read it back; a
Payment that does not match the key or amount is never taken for another."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from lookout.audit.models import AuditEntry
from lookout.payments.models import Payment
from lookout.payments.services import PaymentConflict, reserve_payment, start_payment

pytestmark = pytest.mark.django_db


def test_a_reserved_payment_is_started_once_and_audited_once() -> None:
    order = uuid.uuid4()
    payment = reserve_payment(
        order_ref=order, amount=Decimal("49.99"), idempotency_key="order:r1", new=True
    )
    started = start_payment(
        order_ref=order,
        amount=Decimal("49.99"),
        return_url="/checkout/return/",
        idempotency_key="order:r1",
        reserved=payment,
    )
    assert started.payment.pk == payment.pk
    assert Payment.objects.count() == 1
    assert Payment.objects.get().processor_reference == started.payment.processor_reference
    assert AuditEntry.objects.filter(action="payment.started").count() == 1


def test_a_second_new_reservation_of_one_key_is_refused_by_the_unique_key() -> None:
    order = uuid.uuid4()
    reserve_payment(order_ref=order, amount=Decimal("10.00"), idempotency_key="order:r2", new=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        reserve_payment(
            order_ref=order, amount=Decimal("10.00"), idempotency_key="order:r2", new=True
        )
    assert Payment.objects.count() == 1


def test_a_reserved_payment_for_another_amount_is_not_used() -> None:
    order = uuid.uuid4()
    payment = reserve_payment(
        order_ref=order, amount=Decimal("10.00"), idempotency_key="order:r3", new=True
    )
    # when a start names the same key with another amount, passing that payment along
    with pytest.raises(PaymentConflict):
        start_payment(
            order_ref=order,
            amount=Decimal("12.00"),
            return_url="/checkout/return/",
            idempotency_key="order:r3",
            reserved=payment,
        )
    # then nothing was opened at the processor for it
    assert Payment.objects.get().processor_reference is None


def test_a_reserved_payment_is_not_read_back() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = uuid.uuid4()
    payment = reserve_payment(
        order_ref=order, amount=Decimal("20.00"), idempotency_key="order:r4", new=True
    )
    # when checkout hands the payment it reserved to the start
    with CaptureQueriesContext(connection) as seen:
        start_payment(
            order_ref=order,
            amount=Decimal("20.00"),
            return_url="/checkout/return/",
            idempotency_key="order:r4",
            reserved=payment,
        )
    # then the only statement on the payments table is the write of the processor's answer
    statements = [q["sql"] for q in seen.captured_queries if "payments_payment" in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("UPDATE"), statements


def test_the_first_session_recorded_on_a_payment_wins() -> None:
    from lookout.payments.services import _claim_session

    payment = reserve_payment(
        order_ref=uuid.uuid4(), amount=Decimal("9.99"), idempotency_key="order:r9", new=True
    )
    assert _claim_session(payment, reference="ps_first", redirect_url="/pay/first")
    # a second start of the same payment that lost the race changes nothing
    assert not _claim_session(payment, reference="ps_second", redirect_url="/pay/second")
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.processor_reference, stored.redirect_url) == ("ps_first", "/pay/first")
