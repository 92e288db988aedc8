"""Payment outcomes, tampered references, idempotency, capture and refund limits."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from lookout.audit.models import AuditEntry
from lookout.payments.gateway import SandboxGateway, use_gateway
from lookout.payments.models import Payment
from lookout.payments.services import (
    DECLINED_MESSAGE,
    TIMEOUT_MESSAGE,
    PaymentConflict,
    PaymentError,
    capture,
    confirm_payment,
    refund,
    start_payment,
)
from lookout.payments.tests.conftest import SECRET
from lookout.payments.tests.helpers import (
    DECLINE,
    SUCCESS,
    TIMEOUT,
    begin,
    pay_on_page,
    signed_ref,
)
from lookout.payments.transport import WsgiTransport

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


def paid(shop, amount: str = "100.00", card: str = SUCCESS) -> Payment:
    start = begin(amount)
    _, headers, _ = pay_on_page(shop, start, card=card)
    return confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )


def snapshot(payment: Payment) -> dict:
    fresh = Payment.objects.get(pk=payment.pk)
    return {f.name: getattr(fresh, f.name) for f in Payment._meta.concrete_fields}


def test_decline_card_is_declined_with_a_clear_message(shop):
    payment = paid(shop, card=DECLINE)

    assert payment.status == Payment.Status.DECLINED
    assert payment.message == DECLINED_MESSAGE
    assert payment.authorized_amount == 0
    assert payment.processor_token == ""


def test_timeout_card_fails_when_the_processor_answers_504(shop, processor):
    # given: the processor gives up on the timeout card before the store's client does
    processor.hang_seconds = 0.05

    payment = paid(shop, card=TIMEOUT)

    assert payment.status == Payment.Status.FAILED
    assert payment.message == TIMEOUT_MESSAGE


def test_timeout_card_fails_when_the_store_stops_waiting(shop, processor):
    # given: the processor hangs longer than the store's client waits
    processor.hang_seconds = 1.0
    impatient = SandboxGateway(transport=WsgiTransport(processor, timeout=0.05), secret=SECRET)
    start = begin()
    _, headers, _ = pay_on_page(shop, start, card=TIMEOUT)

    # when
    with use_gateway(impatient):
        payment = confirm_payment(
            payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
        )

    # then
    assert payment.status == Payment.Status.FAILED
    assert payment.message == TIMEOUT_MESSAGE


def test_cancel_on_the_payment_page_fails_the_payment_without_charge(shop):
    start = begin()
    _, headers, _ = pay_on_page(shop, start, card="", action="cancel")

    payment = confirm_payment(
        payment_id=start.payment.pk, signed_reference=signed_ref(headers["Location"])
    )

    assert payment.status == Payment.Status.FAILED
    assert "cancelled" in payment.message
    assert payment.authorized_amount == 0


@pytest.mark.parametrize(
    "tamper",
    [
        lambda ref, other: ref[:-2] + ("AA" if not ref.endswith("AA") else "BB"),
        lambda ref, other: ref.split(".")[0],
        lambda ref, other: other.split(".")[0] + "." + ref.split(".")[1],
        lambda ref, other: other,
        lambda ref, other: "",
        lambda ref, other: "ps_" + "x" * 300,
        lambda ref, other: ref.replace("ps_", "ps_a", 1),
    ],
    ids=["bad-mac", "no-mac", "spliced", "other-payment", "empty", "huge", "changed-reference"],
)
def test_tampered_reference_is_refused_and_changes_nothing(shop, tamper):
    # given: a payment the customer paid, and another one's valid reference
    start = begin()
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    ref = signed_ref(headers["Location"])
    other = begin()
    _, other_headers, _ = pay_on_page(shop, other, card=SUCCESS)
    before, entries = snapshot(start.payment), AuditEntry.objects.count()

    # when
    with pytest.raises(PaymentError) as refused:
        confirm_payment(
            payment_id=start.payment.pk,
            signed_reference=tamper(ref, signed_ref(other_headers["Location"])),
        )

    # then
    assert refused.value.status_code == 400
    assert "not valid" in refused.value.message
    assert snapshot(start.payment) == before
    assert AuditEntry.objects.count() == entries


def test_unknown_payment_id_is_refused(shop):
    start = begin()
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)

    for payment_id in (uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(PaymentError):
            confirm_payment(payment_id=payment_id, signed_reference=signed_ref(headers["Location"]))


def test_confirming_before_the_customer_paid_changes_nothing(processor):
    from sandbox_processor.signing import sign_reference

    start = begin()
    with pytest.raises(PaymentError, match="not been completed"):
        confirm_payment(
            payment_id=start.payment.pk,
            signed_reference=sign_reference(SECRET, str(start.payment.processor_reference)),
        )
    assert Payment.objects.get(pk=start.payment.pk).status == Payment.Status.CREATED


def test_confirming_twice_returns_the_same_settled_payment(shop):
    start = begin()
    _, headers, _ = pay_on_page(shop, start, card=SUCCESS)
    ref = signed_ref(headers["Location"])

    first = confirm_payment(payment_id=start.payment.pk, signed_reference=ref)
    second = confirm_payment(payment_id=start.payment.pk, signed_reference=ref)

    assert first.status == second.status == Payment.Status.AUTHORIZED
    assert AuditEntry.objects.filter(action="payment.authorized").count() == 1


def test_start_payment_twice_with_one_key_makes_one_payment_and_one_session(processor):
    order_ref = uuid.uuid4()
    kwargs: dict[str, Any] = {
        "order_ref": order_ref,
        "amount": Decimal("59.90"),
        "return_url": "/checkout/payment-return/{payment_id}/",
        "idempotency_key": "submit-1",
    }

    first = start_payment(**kwargs)
    second = start_payment(**kwargs)

    assert first.payment.pk == second.payment.pk
    assert first.redirect_url == second.redirect_url
    assert Payment.objects.filter(order_ref=order_ref).count() == 1
    assert processor.store.count(order_ref=str(order_ref)) == 1


def test_a_repeat_with_a_fresh_return_address_goes_back_to_the_first_session(processor):
    # given a started payment whose return address holds a signed token
    order_ref = uuid.uuid4()
    kwargs: dict[str, Any] = {
        "order_ref": order_ref,
        "amount": Decimal("59.90"),
        "idempotency_key": "submit-fresh-url",
    }
    first = start_payment(**kwargs, return_url="/checkout/return/x/?access=token-at-second-1")
    # when the same submit comes a second later, its token (and so its address) re-signed
    second = start_payment(**kwargs, return_url="/checkout/return/x/?access=token-at-second-2")
    # then it is sent to the same hosted page, of the one session, not refused as a conflict
    assert second.redirect_url == first.redirect_url
    assert second.payment.pk == first.payment.pk
    assert Payment.objects.get(pk=first.payment.pk).redirect_url == first.redirect_url
    assert processor.store.count(order_ref=str(order_ref)) == 1


def test_one_key_for_a_different_amount_is_a_conflict():
    start = begin("10.00", key="submit-2")
    with pytest.raises(PaymentConflict):
        start_payment(
            order_ref=start.payment.order_ref,
            amount=Decimal("11.00"),
            return_url="/r/",
            idempotency_key="submit-2",
        )
    assert Payment.objects.filter(idempotency_key="submit-2").count() == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"amount": Decimal("0")}, "more than"),
        ({"amount": Decimal("-5")}, "more than"),
        ({"amount": "lots"}, "not a valid"),
        ({"idempotency_key": ""}, "payment key"),
        ({"idempotency_key": "x" * 101}, "payment key"),
        ({"return_url": "javascript:alert(1)"}, "return address"),
        ({"return_url": "//evil.example.com/"}, "return address"),
    ],
)
def test_bad_start_input_is_refused_clearly(changes, message):
    kwargs: dict[str, Any] = {
        "order_ref": uuid.uuid4(),
        "amount": Decimal("10.00"),
        "return_url": "/r/",
        "idempotency_key": f"k-{uuid.uuid4()}",
        **changes,
    }
    with pytest.raises(PaymentError, match=message):
        start_payment(**kwargs)
    assert Payment.objects.count() == 0


def test_cardholder_name_prefills_the_page_and_is_not_kept(shop, processor):
    from lookout.payments.transport import call_wsgi

    start = start_payment(
        order_ref=uuid.uuid4(),
        amount=Decimal("10.00"),
        return_url="/r/",
        idempotency_key="hint-1",
        cardholder_hint={"name": "Ada Example", "email": "ada@example.com"},
    )
    _, _, page = call_wsgi(shop, "GET", start.redirect_url)
    assert b'value="Ada Example"' in page

    assert b"ada@example.com" not in page

    pay_on_page(shop, start, card=SUCCESS)
    stored = processor.store.raw_bytes()
    assert str(start.payment.processor_reference).encode() in stored
    assert b"Ada Example" not in stored
    assert b"ada@example.com" not in stored


def test_capture_charges_once(shop, processor):
    payment = paid(shop, "100.00")

    once = capture(payment=payment, actor=None)
    twice = capture(payment=payment, actor=None)

    assert once.status == twice.status == Payment.Status.CAPTURED
    assert twice.captured_amount == Decimal("100.00")
    assert processor.store.get(str(payment.processor_reference))["captured_cents"] == 10000
    assert AuditEntry.objects.filter(action="payment.captured").count() == 1


def test_only_an_authorized_payment_can_be_captured(shop):
    payment = paid(shop, card=DECLINE)
    with pytest.raises(PaymentConflict, match="Only an authorized"):
        capture(payment=payment, actor=None)
    assert Payment.objects.get(pk=payment.pk).captured_amount == 0


def test_refunds_never_exceed_what_was_captured(shop, processor):
    payment = capture(payment=paid(shop, "100.00"), actor=None)

    after_first = refund(payment=payment, amount=Decimal("60.00"), actor=None)
    with pytest.raises(PaymentConflict, match=r"\$40.00 left"):
        refund(payment=payment, amount=Decimal("50.00"), actor=None)
    last = refund(payment=payment, amount=Decimal("40.00"), actor=None)

    assert after_first.status == Payment.Status.CAPTURED
    assert last.status == Payment.Status.REFUNDED
    assert last.refunded_amount == Decimal("100.00")
    assert processor.store.get(str(payment.processor_reference))["refunded_cents"] == 10000


def test_an_uncaptured_payment_cannot_be_refunded(shop):
    payment = paid(shop)
    with pytest.raises(PaymentConflict, match="Only a captured"):
        refund(payment=payment, amount=Decimal("1.00"), actor=None)
    with pytest.raises(PaymentError, match="more than"):
        refund(payment=payment, amount=Decimal("0"), actor=None)
