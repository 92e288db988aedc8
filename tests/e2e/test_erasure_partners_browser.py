"""Erasure that reaches partners, in a real Chromium against the real server (C6.7).

Prepared in the live server's own database: a buyer whose delivery details went to the carrier
and to a dispute-resolution vendor (a kind of partner with no automatic channel) is erased on
the privacy officer's approval. The officer finds the vendor's redaction request on the queue,
records the vendor's answer with the keyboard alone, and the person's certificate page (on a
phone) then shows the confirmation; the downloaded certificate verifies with the key the site
publishes. Screenshots: var/screenshots/erasure-queue.png, erasure-certificate-phone.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_backoffice_browser import _lookout, _sign_in, backoffice  # noqa: F401

pytestmark = pytest.mark.browser

VENDOR = "Fair Resolve Ltd"

PREPARE = """
import json
from lookout.accounts.models import User
from lookout.catalog.models import Product
from lookout.core.purposes import Purpose
from lookout.orders.demo import ensure_partner
from lookout.orders.fulfilment import ship_order
from lookout.orders.services import mark_delivered, mark_paid
from lookout.orders.testing import place
from lookout.payments.models import Payment
from lookout.privacy.models import Kind, Via
from lookout.privacy.services import approve_deletion, open_request
from lookout.sharing.redaction import certificate_reference, send_due
from lookout.sharing.services import disclose
from lookout.vault.blind_index import email_index

vendor = ensure_partner(name="Fair Resolve Ltd", kind="dispute_resolution")
staff = lambda e: User.objects.get(email_index=email_index(e))
product = Product.objects.filter(stock__gt=5).order_by("sku").first()
order = place(product)
payment = Payment.objects.create(order_ref=order.id, amount=order.total, status="captured",
    authorized_amount=order.total, captured_amount=order.total, idempotency_key="e2e-erase-1")
order = mark_paid(order=order, payment_id=payment.id)
ship_order(order=order, actor=staff("warehouse@example.com"))
order = mark_delivered(order=order)
disclose(partner=vendor, record=order.delivery, purpose=Purpose.AFTER_SALES, actor=None)
request = open_request(subject=order.subject, kind=Kind.DELETION, via=Via.GUEST, actor=None)
approve_deletion(request=request, actor=staff("privacy@example.com"))
send_due()  # what the worker does once the erasure commits
print(json.dumps({"reference": certificate_reference(request.id)}))
"""


@pytest.mark.commitment("C6.7")
def test_the_officer_records_a_partners_answer_and_the_certificate_shows_it(
    backoffice,  # noqa: F811
    browser,
    screenshots_dir: Path,
    tmp_path: Path,
) -> None:
    base, var_dir, _ = backoffice
    made = json.loads(_lookout(var_dir, "shell", "-c", PREPARE).strip().splitlines()[-1])
    reference = made["reference"]

    # the officer's queue lists the vendor's request, sent by nobody yet: it has no channel
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _sign_in(page, base, "privacy_officer")
    page.goto(base + "/privacy/queue/")
    row = page.locator("table.redactions tr", has_text=VENDOR)
    expect(row).to_contain_text("No automatic channel")
    expect(row).to_contain_text("email address (delivery)")  # the data named in words
    page.screenshot(path=str(screenshots_dir / "erasure-queue.png"), full_page=True)

    # when the officer records the vendor's answer with the keyboard alone
    field = row.get_by_label("Partner's reference")
    field.focus()
    page.keyboard.type("FR-PRIV-2231")
    page.keyboard.press("Enter")
    # then the request leaves the list of unconfirmed ones
    expect(page.locator("table.redactions tr", has_text=VENDOR)).to_have_count(0)
    context.close()

    # and the person's certificate, on a phone, shows the vendor's confirmation
    phone = browser.new_context(viewport=PHONE)
    mobile = phone.new_page()
    mobile.goto(f"{base}/privacy/certificates/{reference}/")
    vendor_row = mobile.locator("table.partners tr", has_text=VENDOR)
    expect(vendor_row.locator("td.confirmed")).not_to_have_text("not yet")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    mobile.screenshot(path=str(screenshots_dir / "erasure-certificate-phone.png"), full_page=True)
    with mobile.expect_download() as download:
        mobile.get_by_role("link", name="Download the signed certificate (JSON)").click()
    saved = tmp_path / "certificate.json"
    download.value.save_as(saved)
    key = tmp_path / "key.pem"
    key.write_bytes(mobile.request.get(f"{base}/.well-known/lookout-deletion-key.pem").body())
    phone.close()
    assert "Valid" in _lookout(var_dir, "verify-certificate", str(saved), "--key", str(key))
