"""Erasure that reaches partners (C6.7, issue 26 item 2), end to end with the sandbox partners.

A guest buys through the real checkout API and pays on the sandbox processor's page (the
processor is told the cardholder name and keeps the session); the warehouse ships through the
sandbox carrier (the carrier is told the name, address and phone). Both transfers are in the
ledger. The privacy officer approves the person's erasure. Then each partner gets a request
signed with the store's Ed25519 key: the sandbox processor checks the signature with the key
the store publishes at /.well-known/ (fetched here over the store's own URL) before clearing
anything, the sandbox carrier's desk checks it too. The certificate is fetched by the reference
the person was given and verified with the published key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from freezegun import freeze_time

from lookout.access.roles import Role
from lookout.compliance.selfaudit import ops_checks
from lookout.orders.fulfilment import ship_order
from lookout.orders.models import Order
from lookout.orders.services import mark_delivered
from lookout.orders.testing import (  # noqa: F401  # noqa: F401
    make_cart,
    make_product,
    partners,
    pay_on_sandbox,
    policies,
    staff,
)
from lookout.payments.gateway import GatewayError, get_gateway
from lookout.payments.models import Payment
from lookout.privacy.models import Kind, Via
from lookout.privacy.services import open_request
from lookout.sharing import signing
from lookout.sharing.models import Disclosure, RedactionRequest, RedactionStatus
from lookout.sharing.redaction import (
    ChannelError,
    _claim,
    certificate_reference,
    due_requests,
    outgoing,
    overdue,
    send_due,
)
from lookout.shipping.models import Shipment
from lookout.shipping.redaction import SandboxCarrierDesk
from sandbox_processor.config import default_processor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

NAME = "Ada Lovelace"
DELIVERY = {
    "country": "US",
    "name": NAME,
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "phone": "+1 650 253 0000",
    "email": "ada.erased@example.com",
}
PERSONAL = (NAME, "Amphitheatre", "ada.erased", "650 253", "Lovelace")


@pytest.fixture
def processor() -> Iterator:
    """The configured sandbox processor, holding the store's key as published (fetched from
    the store's well-known URL, as a processor would)."""
    processor = default_processor()
    published = Client().get(signing.KEY_PATH)
    assert published.status_code == 200
    processor.store_public_key = published.content
    processor.complete_redactions = True
    SandboxCarrierDesk.received.clear()
    yield processor
    processor.store_public_key = None
    processor.complete_redactions = True
    SandboxCarrierDesk.received.clear()


def _buy_and_receive(staff) -> Order:  # noqa: F811
    """A guest's order, paid on the processor's page, shipped by the carrier, delivered."""
    _, token = make_cart(make_product(stock=3))
    placed = Client().post(
        "/api/v1/checkout/orders",
        data={"cart": token, "idempotency_key": "erase-me-0001", "delivery": DELIVERY},
        content_type="application/json",
    )
    assert placed.status_code == 201, placed.content
    back = pay_on_sandbox(placed.json()["payment_url"])
    returned = Client().get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert returned.status_code in (200, 302)
    order = Order.objects.get()
    assert order.status == "paid"
    warehouse, _ = staff(Role.WAREHOUSE)
    ship_order(order=order, actor=warehouse)
    return mark_delivered(order=Order.objects.get(pk=order.pk))


def _erase(order: Order, staff) -> tuple[str, Client]:  # noqa: F811
    """The privacy officer approves the person's deletion; the send task queued as the erasure
    commits runs (the test backend runs a task at once)."""
    from django.test import TestCase

    request = open_request(subject=order.subject, kind=Kind.DELETION, via=Via.GUEST, actor=None)
    _, officer = staff(Role.PRIVACY_OFFICER)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approved = officer.post(f"/privacy/queue/{request.id}/approve/")
    assert approved.status_code == 302
    return certificate_reference(request.id), officer


def _ledger(order: Order) -> dict[str, set[str]]:
    told: dict[str, set[str]] = {}
    for row in Disclosure.objects.filter(subject=order.subject).select_related("partner"):
        told.setdefault(row.partner.kind, set()).update(row.fields)
    return told


@pytest.mark.commitment("C6.7")
def test_each_partner_told_gets_a_signed_request_naming_what_it_was_sent(processor, staff):  # noqa: F811
    order = _buy_and_receive(staff)
    told = _ledger(order)
    assert set(told) == {"carrier", "payment_processor"}  # the dispute vendor was told nothing
    payment = Payment.objects.get(order_ref=order.pk)
    session = str(payment.processor_reference)
    assert processor.store.get(session)["last4"] == "4242"
    tracking = Shipment.objects.get(order=order).tracking_number

    reference, _ = _erase(order, staff)

    # then exactly the two partners told were asked, each for exactly the fields it was sent
    asked = {r.partner.kind: r for r in RedactionRequest.objects.select_related("partner")}
    assert set(asked) == set(told)
    for kind, request in asked.items():
        assert set(request.fields) == told[kind]
    assert "orders.Delivery.email" not in asked["carrier"].fields
    # the carrier's desk verified the signature and got its tracking number, nothing else
    [ticket] = SandboxCarrierDesk.received
    assert ticket["fields"] == sorted(told["carrier"]) and ticket["records"] == [tracking]
    # the processor verified it and cleared its session: no name, no card facts left
    kept = processor.store.get(session)
    assert (kept["name_hint"], kept["brand"], kept["last4"], kept["exp_year"]) == (None,) * 4
    assert kept["status"] == "captured"  # the transaction record itself stays
    # and both confirmations are recorded with the partners' own references
    for request in asked.values():
        request.refresh_from_db()
        assert request.status == RedactionStatus.CONFIRMED and request.confirmed_at
    assert asked["carrier"].partner_reference.startswith("SBXPRIV-")
    assert asked["payment_processor"].partner_reference.startswith("rd_")

    # the certificate, fetched by the reference alone, verifies with the published key
    published = signing.load_public_key(Client().get(signing.KEY_PATH).content)
    signed = Client().get(f"/privacy/certificates/{reference}.json").json()
    document = signing.verify_document(signed, key=published)
    assert document["certificate"] == reference
    assert {p["kind"]: bool(p["confirmed_at"]) for p in document["partners"]} == {
        "carrier": True,
        "payment_processor": True,
    }
    page = Client().get(f"/privacy/certificates/{reference}/").content.decode()
    assert "Sandbox" in page and document["key_destroyed_at"] in page


@pytest.mark.commitment("C6.7")
def test_a_forged_or_altered_request_is_refused_by_both_partners(processor, staff):  # noqa: F811
    order = _buy_and_receive(staff)
    processor.complete_redactions = False  # keep the requests open to replay them
    _erase(order, staff)
    request = RedactionRequest.objects.get(partner__kind="payment_processor")
    genuine = outgoing(request)
    altered = dict(genuine.body, records=["ps_" + "A" * 22])  # someone else's session
    with pytest.raises(GatewayError) as refused:
        get_gateway().request_redaction(altered, genuine.signature_header)  # type: ignore[attr-defined]
    assert refused.value.status == 401
    with pytest.raises(ChannelError):
        SandboxCarrierDesk().take(signing.canonical(altered), genuine.signature_header)
    # the genuine one still goes through, once: a repeat gets the first answer
    first = get_gateway().request_redaction(genuine.body, genuine.signature_header)  # type: ignore[attr-defined]
    again = get_gateway().request_redaction(genuine.body, genuine.signature_header)  # type: ignore[attr-defined]
    assert first["reference"] == again["reference"]


@pytest.mark.commitment("C6.7")
def test_an_unconfirmed_request_becomes_overdue_and_is_flagged(processor, staff):  # noqa: F811
    order = _buy_and_receive(staff)
    processor.complete_redactions = False  # the processor's desk answers "received" only
    with override_settings(LOOKOUT_REDACTION_DUE_DAYS=2):
        _erase(order, staff)
    pending = RedactionRequest.objects.get(partner__kind="payment_processor")
    assert pending.status == RedactionStatus.SENT and pending.confirmed_at is None
    assert not overdue().exists()
    assert ops_checks.partner_redactions().ok

    # three days later, still not confirmed (asked again: still "received")
    with freeze_time(pending.due_at + timedelta(days=1)):
        assert send_due() == {"confirmed": 0, "pending": 1, "by_hand": 0, "failed": 0}
        assert list(overdue()) == [pending]
        audit = ops_checks.partner_redactions()
        assert not audit.ok and audit.evidence["overdue"][0]["redaction"] == str(pending.pk)
        _, officer = staff(Role.PRIVACY_OFFICER)
        queue = officer.get("/privacy/queue/").content.decode()
        assert "OVERDUE" in queue and "1 overdue" in queue
        # which data the partner holds, in words (issue 22): never "orders.Delivery.name"
        redactions = queue.split('id="redactions"', 1)[1]
        assert "name (delivery)" in redactions and "orders.Delivery" not in redactions
        start = officer.get("/staff/", follow=True).content.decode()  # the officer's start page
        assert "1 OVERDUE" in start

    # when the processor's desk finishes, the next run records it and the flag goes
    processor.finish_redactions()
    with freeze_time(pending.due_at + timedelta(days=1, hours=2)):
        assert send_due()["confirmed"] == 1
        assert not overdue().exists() and ops_checks.partner_redactions().ok
    pending.refresh_from_db()
    assert pending.status == RedactionStatus.CONFIRMED


@pytest.mark.commitment("C6.7")
def test_a_partner_that_cannot_be_reached_is_retried_later(processor, staff):  # noqa: F811
    order = _buy_and_receive(staff)
    key = processor.store_public_key
    processor.store_public_key = None  # the processor cannot check us: it refuses (401)
    _erase(order, staff)
    request = RedactionRequest.objects.get(partner__kind="payment_processor")
    assert request.status == RedactionStatus.QUEUED and request.attempts == 1
    assert request.next_attempt_at > request.created_at
    # not tried again before its wait is over; tried and confirmed after it
    assert send_due(now=request.created_at)["failed"] == 0
    processor.store_public_key = key
    due = request.next_attempt_at
    overlapping = list(due_requests(due))  # another run read the same row at the same time
    assert send_due(now=due)["confirmed"] == 1
    request.refresh_from_db()
    assert request.status == RedactionStatus.CONFIRMED and request.attempts == 2
    # the overlapping run cannot take it any more: the partner is asked once
    assert [_claim(r, due) for r in overlapping] == [False]
    assert processor.store.redaction(request.partner_reference)["status"] == "completed"


@pytest.mark.commitment("C6.7")
def test_the_certificate_fails_when_one_byte_changes_and_names_nobody(
    processor,
    staff,  # noqa: F811
    tmp_path,
    capsys,
):
    order = _buy_and_receive(staff)
    subject = str(order.subject)
    reference, _ = _erase(order, staff)
    raw = Client().get(f"/privacy/certificates/{reference}.json").content

    # nothing personal in it: no name, address, email, phone, nor the subject id itself
    text = raw.decode()
    assert not [word for word in PERSONAL if word in text]
    assert subject not in text and subject.replace("-", "") not in text

    # it verifies with the command, with the store's key or the published PEM
    good = tmp_path / "certificate.json"
    good.write_bytes(raw)
    pem = tmp_path / "key.pem"
    pem.write_bytes(Client().get(signing.KEY_PATH).content)
    call_command("verify-certificate", str(good), "--key", str(pem))
    assert "Valid" in capsys.readouterr().out
    # and fails when any one byte of what it says is changed
    document = json.loads(raw)
    destroyed = document["document"]["key_destroyed_at"]
    forged = destroyed[:-7] + ("1" if destroyed[-7] != "1" else "2") + destroyed[-6:]
    bad = tmp_path / "forged.json"
    bad.write_bytes(raw.replace(destroyed.encode(), forged.encode()))
    assert len(bad.read_bytes()) == len(raw) and bad.read_bytes() != raw
    with pytest.raises(CommandError, match="NOT VALID"):
        call_command("verify-certificate", str(bad), "--key", str(pem))


@pytest.mark.commitment("C6.7")
def test_the_person_is_given_the_certificate_reference_when_they_ask(client):
    from lookout.accounts.services import create_account

    user = create_account(email="cert.person@example.com", password="correct-horse-battery")
    client.force_login(user)
    asked = client.post(
        "/privacy/requests/", {"kind": Kind.DELETION, "password": "correct-horse-battery"}
    )
    assert asked.status_code == 302
    page = client.get(asked["Location"]).content.decode()
    request_id = asked["Location"].rstrip("/").rsplit("/", 1)[-1]
    import uuid

    reference = certificate_reference(uuid.UUID(request_id))
    assert reference in page and f"/privacy/certificates/{reference}/" in page
    # before the erasure there is no certificate yet, and the page says so
    assert Client().get(f"/privacy/certificates/{reference}/").status_code == 404


def test_guessing_certificate_references_is_limited_per_network(processor, staff):  # noqa: F811
    from lookout.sharing.views import MISSES_PER_WINDOW

    order = _buy_and_receive(staff)
    reference, _ = _erase(order, staff)
    visitor = Client(REMOTE_ADDR="203.0.113.9")
    # a found certificate does not count: it can be fetched again and again
    for _ in range(3):
        assert visitor.get(f"/privacy/certificates/{reference}/").status_code == 200
    # references that do not exist count, until the network's budget is used up
    for n in range(MISSES_PER_WINDOW):
        assert visitor.get(f"/privacy/certificates/{'a' * 23}{n % 10}/").status_code == 404
    refused = visitor.get(f"/privacy/certificates/{reference}.json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many certificate look-ups" in refused.json()["error"]
    # another network is not held back
    assert (
        Client(REMOTE_ADDR="198.51.100.7").get(f"/privacy/certificates/{reference}/").status_code
        == 200
    )


@pytest.mark.commitment("C6.7")
def test_a_dormant_account_closed_by_retention_reaches_the_partners_too(processor):
    from lookout.accounts.models import User
    from lookout.accounts.services import create_account
    from lookout.core.inventory import ACCOUNT_LIFETIME
    from lookout.core.purposes import Purpose
    from lookout.orders.demo import CARRIER_NAME
    from lookout.orders.testing import place
    from lookout.retention.registry import rule_named
    from lookout.retention.services import run_rule
    from lookout.sharing.models import Partner
    from lookout.sharing.services import disclose

    # given a customer whose delivery details went to the carrier, and who never came back
    user = create_account(email="gone.quiet@example.com", password="long-pass-word-1")
    order = place(user=user)
    carrier = Partner.objects.get(name=CARRIER_NAME)
    disclose(partner=carrier, record=order.delivery, purpose=Purpose.DELIVERY, actor=None)
    Order.objects.filter(pk=order.pk).update(status="delivered")
    last_seen = user.date_joined
    User.objects.filter(pk=user.pk).update(last_login=last_seen)

    # when the retention rule closes the dormant account (and the task sends what it opened)
    with freeze_time(last_seen + ACCOUNT_LIFETIME.period + timedelta(days=1)):
        assert run_rule(rule=rule_named("accounts.dormant"), batch_size=10).processed == 1
        assert send_due()["confirmed"] == 1

    # then the carrier was asked for exactly what it was sent, and confirmed
    [request] = RedactionRequest.objects.all()
    assert request.partner == carrier and request.status == RedactionStatus.CONFIRMED
    assert set(request.fields) == _ledger(order)["carrier"]
    [ticket] = SandboxCarrierDesk.received
    assert ticket["request"] == str(request.pk)
