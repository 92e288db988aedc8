"""C2.3: a payment with a known card leaves no card number in the store's databases or logs."""

from __future__ import annotations

import logging

import pytest

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.payments.models import Payment
from lookout.payments.services import confirm_payment
from lookout.payments.tests.helpers import SUCCESS, begin, pay_on_page, signed_ref
from lookout.testing.raw import raw_database_bytes

CARD_FORMS = ("4242424242424242", "4242 4242 4242 4242")


@pytest.mark.commitment("C2.3")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "gateway")
def test_card_number_is_nowhere_in_the_store_after_paying(
    shop, django_app, processor, caplog, capsys
):
    # given: a payment started by checkout, every logger captured at DEBUG
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    start = begin("129.00")

    # when: the customer types the success card on the processor's page and comes back
    status, headers, _ = pay_on_page(shop, start, card=SUCCESS, expiry="12/34", cvc="123")
    assert status == 303
    location = headers["Location"]
    assert location.startswith(f"/checkout/payment-return/{start.payment.pk}/?ref=")
    payment = confirm_payment(payment_id=start.payment.pk, signed_reference=signed_ref(location))

    # then: the store keeps only token, brand, last four and expiry
    assert payment.status == Payment.Status.AUTHORIZED
    assert (payment.brand, payment.last4, payment.exp_month, payment.exp_year) == (
        "visa",
        "4242",
        12,
        2034,
    )
    assert payment.processor_token.startswith("tok_")
    stored = raw_database_bytes()
    assert payment.processor_reference and payment.processor_reference.encode() in stored
    processor_stored = processor.store.raw_bytes()
    assert payment.processor_reference.encode() in processor_stored
    captured = capsys.readouterr()
    haystacks = {
        "store databases": stored.decode("latin-1"),
        "log records": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "requests that reached Django": "\n".join(django_app.seen),
        "the processor's own storage": processor_stored.decode("latin-1"),
    }
    assert caplog.records, "the payment flow logged nothing: the log search would prove nothing"
    for where, text in haystacks.items():
        for card in CARD_FORMS:
            assert card not in text, f"card number found in {where}"


@pytest.mark.commitment("C2.3")
@pytest.mark.django_db
@pytest.mark.usefixtures("gateway")
def test_the_card_form_is_never_served_or_received_by_the_store(shop, django_app):
    # given: a started payment
    start = begin()

    # when: the browser loads the payment page and submits the card
    status, _, _ = pay_on_page(shop, start, card=SUCCESS)

    # then: no request of that exchange entered Django; the page posts to the processor's path
    assert status == 303
    assert django_app.seen == []
    assert start.redirect_url.startswith("/sandbox-processor/pay/")
