"""A guest who paid and never came back still gets the email with their link (issue 20).

The return page emailed the guest link; a buyer who closed the tab on the processor's page got
a paid order from the webhook or from reconciliation, and no link to it. Now whichever way the
order becomes paid sends the link, and only the first: the guest's inbox message "we emailed
you the link" is the claim (its dedupe key is unique). The processor is the real sandbox, its
webhooks delivered through the real view; mail is Django's test outbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from lookout.inbox.models import Message
from lookout.orders import guest
from lookout.orders.models import Order, Status
from lookout.orders.tasks import email_guest_link, settle_waiting_orders
from lookout.orders.testing import make_cart, make_product, pay_on_sandbox
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


@pytest.fixture
def processor() -> Iterator[SandboxProcessor]:
    """The sandbox processor, its webhooks posted to the store's real endpoint."""
    processor = default_processor()
    processor.webhook = lambda body, headers: (
        Client()
        .post(WEBHOOK, data=body, content_type="application/json", headers=headers)
        .status_code
    )
    yield processor
    processor.webhook = lambda body, headers: 200  # drop what a failed test left queued
    processor.deliver_events(limit=1000)
    processor.webhook = None


def _checkout(key: str) -> tuple[Order, str]:
    _, cart = make_cart(make_product(stock=3), 1)
    answer = Client().post(
        CHECKOUT,
        {"cart": cart, "idempotency_key": key, "delivery": DELIVERY},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return Order.objects.get(number=answer.json()["number"]), answer.json()["payment_url"]


def _links_to(order: Order) -> list[Any]:
    return [m for m in mail.outbox if order.number in m.body]


def test_paid_by_the_webhook_alone_the_guest_gets_their_link_once(processor) -> None:
    order, pay_url = _checkout("link-webhook-1")
    # the guest pays on the processor's page and closes the tab: no return page
    pay_on_sandbox(pay_url)
    assert not mail.outbox
    # when the processor's webhook arrives
    assert processor.deliver_events() == 1
    order.refresh_from_db()
    assert order.status == Status.PAID
    # then the link went out, to the address given at checkout, absolute on the store's address
    (sent,) = _links_to(order)
    assert sent.to == ["ada@example.com"]
    link = re.search(r"https?://\S+", sent.body)
    assert link is not None
    assert link.group(0).startswith(settings.LOOKOUT_SITE_URL + "/orders/guest/")
    # and it opens the order with its number
    page = Client().post(urlsplit(link.group(0)).path, {"number": order.number})
    assert page.status_code == 200
    assert "Ada Lovelace" in page.content.decode()
    # when reconciliation and its sweep run, and the task is retried, nothing is sent again
    settle_waiting_orders.enqueue()
    email_guest_link.enqueue(str(order.id), settings.LOOKOUT_SITE_URL)
    assert len(_links_to(order)) == 1
    # and the guest's messages say where the link went (never the address itself)
    (note,) = Message.objects.filter(dedupe_key=guest.link_sent_key(order))
    assert note.subject == order.subject


def test_paid_by_reconciliation_alone_the_guest_gets_their_link_once(processor, settings) -> None:
    order, pay_url = _checkout("link-reconcile-1")
    processor.webhook = lambda body, headers: 500  # the webhook never gets through
    pay_on_sandbox(pay_url)
    settings.LOOKOUT_RECONCILE_AFTER_MINUTES = 0
    # when the scheduler's reconciliation runs
    outcome = settle_waiting_orders.enqueue().return_value
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert outcome["paid"] == 1 and outcome["links_emailed"] == 1
    assert len(_links_to(order)) == 1
    # and again: nothing more
    settle_waiting_orders.enqueue()
    assert len(_links_to(order)) == 1


def test_the_return_page_then_the_webhook_and_the_sweep_send_one_email(processor) -> None:
    order, pay_url = _checkout("link-return-1")
    processor.webhook = lambda body, headers: 500  # held back until the buyer is back
    back = pay_on_sandbox(pay_url)
    # the buyer comes back to the return page first: it emails the link
    done = Client().get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert done.status_code == 200, done.content
    assert len(_links_to(order)) == 1
    # when the webhook arrives after all, reconciliation's sweep runs, and the page's task is
    # retried (a worker that died after sending)
    processor.webhook = lambda body, headers: (
        Client()
        .post(WEBHOOK, data=body, content_type="application/json", headers=headers)
        .status_code
    )
    processor.deliver_events()
    settle_waiting_orders.enqueue()
    email_guest_link.enqueue(str(order.id), "http://testserver/")
    # then the guest still has exactly one email
    assert len(_links_to(order)) == 1


def test_a_signed_in_buyer_gets_no_email(processor) -> None:
    from lookout.accounts.services import create_account
    from lookout.orders.testing import place

    user = create_account(email="member@example.com", password="member-long-pass-1")
    order = place(user=user)
    Order.objects.filter(pk=order.pk).update(status=Status.PAID, paid_at=order.placed_at)
    assert guest.email_missing_links() == 0
    assert not mail.outbox


@pytest.mark.parametrize(
    ("site", "hosts", "expected"),
    [
        ("http://shop.example.com", "shop.example.com", None),
        ("", "*", None),
        ("https://shop.example.com/", "shop.example.com", "https://shop.example.com"),
        ("", "shop.example.com,www.example.com", "https://shop.example.com"),
    ],
)
def test_production_needs_an_https_site_address(tmp_path, site, hosts, expected) -> None:
    """Links in mail sent outside a request must point at the live store over https."""
    import os
    import secrets
    import subprocess
    import sys

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LOOKOUT_ENV": "production",
        "LOOKOUT_SECRET_KEY": secrets.token_urlsafe(64),
        "LOOKOUT_MASTER_KEY_FILE": str(tmp_path / "master-keyset.json"),
        "LOOKOUT_VAR_DIR": str(tmp_path),
        "LOOKOUT_ALLOWED_HOSTS": hosts,
        "LOOKOUT_SITE_URL": site,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import lookout.settings as s; print(s.LOOKOUT_SITE_URL)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if expected is None:
        assert result.returncode != 0
        assert "LOOKOUT_SITE_URL must be the store's https:// address" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected
