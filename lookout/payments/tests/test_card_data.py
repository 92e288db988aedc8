"""C2.3: a payment with a known card leaves no card number in the store's databases or logs."""

from __future__ import annotations

import logging
import re
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.orders.models import Order, Status
from lookout.orders.testing import make_cart, make_product, partners, policies  # noqa: F401
from lookout.payments.models import Payment
from lookout.payments.services import confirm_payment
from lookout.payments.tests.helpers import SUCCESS, begin, pay_on_page, signed_ref
from lookout.payments.transport import call_wsgi
from lookout.testing.raw import raw_database_bytes
from sandbox_processor.shopper import future_expiry

CARD_FORMS = ("4242424242424242", "4242 4242 4242 4242")
CVC = "737"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
GUEST = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}


def _files_written_since(started: float, *roots: Path) -> dict[str, str]:
    """Every file under `roots` written during the test (logs, reports, caches, database files)."""
    found: dict[str, str] = {}
    for root in roots:
        for path in root.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime >= started:
                    found[str(path)] = path.read_bytes().decode("latin-1")
            except OSError:
                continue  # removed while we walked: another test's temporary file
    return found


@pytest.mark.commitment("C2.3")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "gateway", "partners", "policies")
def test_a_guest_pays_through_checkout_and_the_card_is_in_no_table_log_mail_or_file(
    shop, django_app, processor, caplog, capsys, tmp_path
):
    # given: a camera in a guest's cart, every logger captured at DEBUG, the time files were last
    # written before the purchase
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    _, token = make_cart(make_product(stock=3))
    client = Client(enforce_csrf_checks=True)
    started = time.time() - 1
    pages: list[str] = []

    # when: the guest fills in the checkout page, types the card on the processor's page
    # (the browser posts it there, not to the store) and comes back to the store
    form = client.get(f"/checkout/{token}/?country=US")
    pages.append(form.content.decode())
    match = FORM_TOKEN.search(pages[-1])
    assert match
    placed = client.post(f"/checkout/{token}/", {**GUEST, "form_token": match[1]})
    assert placed.status_code == 302, placed.content
    pay_path = urlsplit(placed["Location"]).path
    status, _, page = call_wsgi(shop, "GET", pay_path)
    assert status == 200  # the processor's page (it lists the test cards: not searched)
    action = re.search(rb'<form method="post" action="([^"]+)"', page)
    assert action
    card = {"number": CARD_FORMS[1], "expiry": future_expiry(), "cvc": CVC, "action": "pay"}
    status, headers, _ = call_wsgi(
        shop,
        "POST",
        action[1].decode(),
        body=urlencode({"name": "Ada Lovelace", **card}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303
    back = urlsplit(headers["Location"])
    done = client.get(f"{back.path}?{back.query}")
    pages.append(done.content.decode())

    # then: the order is paid and the store keeps the last four digits and the expiry only
    assert done.status_code == 200
    order = Order.objects.get()
    assert order.status == Status.PAID
    payment = Payment.objects.get(order_ref=order.pk)
    assert (payment.last4, payment.exp_month) == ("4242", 12)
    assert payment.exp_year == (date.today().year + 5)
    # and the number and CVC are in no database (tables, cache table), log, output, mail, page,
    # request that reached the store's app, or file written meanwhile
    stored = raw_database_bytes()
    assert str(order.pk).replace("-", "").encode() in stored.replace(b"-", b""), "searched nothing"
    captured = capsys.readouterr()
    haystacks = {
        "store databases": stored.decode("latin-1"),
        "log records": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "mail": "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox),
        "store pages the guest saw": "\n".join(pages),
        "requests that reached the store's app": "\n".join(django_app.seen),
        **_files_written_since(started, Path(settings.VAR_DIR), tmp_path),
    }
    assert caplog.records and mail.outbox, "nothing was logged or mailed: the search proves little"
    for where, text in haystacks.items():
        for secret in (*CARD_FORMS, f"cvc={CVC}", f'"cvc": "{CVC}"'):
            assert secret not in text, f"card data found in {where}"


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
    status, headers, _ = pay_on_page(shop, start, card=SUCCESS, cvc="123")
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
        date.today().year + 5,
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
