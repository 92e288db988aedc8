"""Giving a payment back when its order is cancelled before shipment: the sandbox's void of an
authorization, and `void_or_refund`, which picks void, refund or closing the page by status."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lookout.audit.models import AuditEntry
from lookout.payments.gateway import GatewayError
from lookout.payments.models import Payment
from lookout.payments.services import capture, refund, void_or_refund
from lookout.payments.tests.helpers import DECLINE, SUCCESS, begin
from lookout.payments.tests.test_services import paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


def _audited(payment: Payment, action: str) -> int:
    return AuditEntry.objects.filter(action=action, target=f"payments.Payment:{payment.pk}").count()


def test_the_sandbox_voids_an_authorization_once_and_refuses_anything_else(shop, gateway):
    payment = paid(shop, "40.00", card=SUCCESS)
    reference = str(payment.processor_reference)
    # an authorized session becomes voided and holds nothing any more
    voided = gateway.void(reference)
    assert (voided.status, voided.authorized_amount, voided.captured_amount) == (
        "voided",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    # voiding again is harmless; capturing it afterwards is refused
    assert gateway.void(reference).status == "voided"
    with pytest.raises(GatewayError) as refused:
        gateway.capture(reference)
    assert refused.value.status == 409
    # an open session, a declined one and a captured one cannot be voided
    with pytest.raises(GatewayError) as still_open:
        gateway.void(str(begin("5.00").payment.processor_reference))
    assert still_open.value.status == 409
    declined = paid(shop, "6.00", card=DECLINE)
    with pytest.raises(GatewayError):
        gateway.void(str(declined.processor_reference))
    taken = capture(payment=paid(shop, "7.00"), actor=None)
    with pytest.raises(GatewayError):
        gateway.void(str(taken.processor_reference))


def test_void_or_refund_voids_an_authorization_audited_and_only_once(shop, gateway):
    payment = paid(shop, "40.00")
    # when it is given back twice (a retried cancellation)
    first, outcome = void_or_refund(payment=payment, actor=None)
    again, outcome_again = void_or_refund(payment=first, actor=None)
    # then it is voided at the processor and here, and audited once
    assert (first.status, outcome, again.status, outcome_again) == (
        "voided",
        "voided",
        "voided",
        "voided",
    )
    assert gateway.fetch(str(payment.processor_reference)).status == "voided"
    assert _audited(payment, "payment.voided") == 1
    assert (first.captured_amount, first.refunded_amount) == (0, 0)


def test_void_or_refund_refunds_what_is_left_of_a_capture_once(shop, gateway):
    # given a captured 50.00 payment of which 10.00 were refunded already
    payment = capture(payment=paid(shop, "50.00"), actor=None)
    payment = refund(payment=payment, amount=Decimal("10.00"), actor=None)
    # when it is given back twice
    first, outcome = void_or_refund(payment=payment, actor=None)
    again, _ = void_or_refund(payment=first, actor=None)
    # then the 40.00 left is refunded, once
    assert (outcome, first.status, first.refunded_amount) == ("refunded", "refunded", 50)
    assert again.refunded_amount == Decimal("50.00")
    session = gateway.fetch(str(payment.processor_reference))
    assert (session.status, session.refunded_amount) == ("refunded", Decimal("50.00"))
    assert _audited(payment, "payment.refunded") == 2  # the 10.00, then the 40.00


def test_void_or_refund_closes_an_open_payment_page(gateway):
    start = begin("12.00")
    payment, outcome = void_or_refund(payment=start.payment, actor=None)
    assert outcome == "nothing_taken"
    assert payment.status == Payment.Status.FAILED
    assert gateway.fetch(str(start.payment.processor_reference)).status == "expired"
