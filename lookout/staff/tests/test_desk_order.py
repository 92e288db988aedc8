"""The order desk's order page: the whole history of an order, each personal field shown,
masked or hidden as the matrix grants it to the reader's role for their purpose, and the
actions that role may take (issue 20; C3.2, C3.3, C4.2, C4.3, C4.4)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.inbox.models import Message
from lookout.orders.models import Order, OrderNote, Status
from lookout.orders.testing import GUEST_EMAIL, PHONE, RECIPIENT, place
from lookout.returns import services as returns
from lookout.returns.testing import delivered_order, paid_order, request_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]
STREET = "1600 Amphitheatre"
CUSTOMER_EMAIL = "kept.customer@example.com"
NOTE = "Customer phoned: leave the parcel with the neighbour at number 12."


def _level(page: str, name: str) -> str:
    found = re.search(rf'data-field="{name}" data-level="(\w+)"', page)
    assert found, name
    return found.group(1)


def _page(client, order: Order) -> str:
    answer = client.get(f"/staff/desk/orders/{order.number}/")
    assert answer.status_code == 200
    return answer.content.decode()


def _reads(actor) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor_ref=str(actor.subject), action="reveal"))


@pytest.mark.commitment("C3.3", "C4.3", "C4.4")
def test_after_sales_reads_every_contact_field_for_after_sales_and_it_is_audited(staff) -> None:
    order = place()
    agent, client = staff(Role.AFTER_SALES)
    page = _page(client, order)
    assert RECIPIENT in page and GUEST_EMAIL in page and STREET in page and PHONE in page
    assert {_level(page, f) for f in ("name", "address", "phone", "email")} == {"full"}
    (entry,) = _reads(agent)
    assert entry.purpose == "after_sales" and entry.subject_ref == str(order.subject)
    assert set(entry.fields) == {
        f"orders.Delivery.{f}" for f in ("name", "address", "phone", "email")
    }


@pytest.mark.commitment("C3.2", "C4.3", "C4.4")
def test_the_warehouse_reads_name_address_and_phone_for_fulfilment_never_the_email(staff) -> None:
    order = place()
    clerk, client = staff(Role.WAREHOUSE)
    page = _page(client, order)
    assert RECIPIENT in page and STREET in page and PHONE in page
    assert GUEST_EMAIL not in page and _level(page, "email") == "hidden"
    (entry,) = _reads(clerk)
    assert entry.purpose == "fulfilment"
    assert set(entry.fields) == {f"orders.Delivery.{f}" for f in ("name", "address", "phone")}


@pytest.mark.commitment("C4.3")
def test_finance_sees_an_account_holders_email_masked_and_no_delivery_details(staff) -> None:
    customer = create_account(email=CUSTOMER_EMAIL, password="a-long-passphrase-1")
    order = place(user=customer)
    finance, client = staff(Role.FINANCE)
    page = _page(client, order)
    for personal in (RECIPIENT, STREET, PHONE, CUSTOMER_EMAIL):
        assert personal not in page
    assert _level(page, "email") == "masked" and "k•••@e•••.com" in page
    assert {_level(page, f) for f in ("name", "address", "phone")} == {"hidden"}
    (entry,) = _reads(finance)
    assert entry.purpose == "refund" and entry.fields == ["accounts.User.email"]
    assert entry.detail["masked"] == "accounts.User.email"


@pytest.mark.commitment("C4.3")
def test_the_privacy_officer_sees_no_delivery_details_and_nothing_is_read(staff) -> None:
    order = place()
    officer, client = staff(Role.PRIVACY_OFFICER)
    page = _page(client, order)
    for personal in (RECIPIENT, STREET, PHONE, GUEST_EMAIL):
        assert personal not in page
    assert {_level(page, f) for f in ("name", "address", "phone", "email")} == {"hidden"}
    assert _reads(officer) == []


@pytest.mark.commitment("C1.7", "C1.8", "C3.5")
def test_the_timeline_holds_events_payment_shipment_return_refund_messages_and_notes(
    staff,
) -> None:
    clerk, _ = staff(Role.WAREHOUSE)
    agent, client = staff(Role.AFTER_SALES)
    order = delivered_order(clerk)
    ret = request_all(order, reason="defective")
    returns.receive_return(ret=ret, actor=clerk)
    returns.accept_return(ret=ret, actor=agent)
    assert (
        client.post(f"/staff/desk/orders/{order.number}/notes/", {"note": NOTE}).status_code == 302
    )
    page = _page(client, order)
    timeline = page[page.index('id="timeline"') :]
    kinds = set(re.findall(r'data-kind="(\w+)"', timeline))
    assert kinds == {"order", "payment", "shipment", "return", "refund", "message", "note"}
    for text in (
        "Order paid",
        "Order delivered",
        "Payment authorized",
        "Payment captured",
        "Label created",
        f"Return {ret.number} requested",
        f"Refund due for return {ret.number}",
        "Message sent to the customer (shipped)",
        "Internal note (After-sales)",
        NOTE,
    ):
        assert text in timeline, text
    # oldest first
    times = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert times == sorted(times)
    # and the payment's card and processor reference are finance's alone
    assert "ps_" not in page and "Card:" not in page
    _, finance = staff(Role.FINANCE)
    assert "Processor reference ps_" in _page(finance, order)


@pytest.mark.commitment("C4.2", "C4.3", "C4.4")
def test_a_note_is_sealed_read_by_the_roles_granted_and_masked_for_the_others(staff) -> None:
    order = place()
    agent, client = staff(Role.AFTER_SALES)
    answer = client.post(f"/staff/desk/orders/{order.number}/notes/", {"note": f"  {NOTE} "})
    assert answer.status_code == 302
    note = OrderNote.objects.get(order=order)
    assert (note.author_ref, note.author_role) == (str(agent.subject), "after_sales")
    # sealed: the stored column is ciphertext, and the audit entry names the field, not words
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM orders_ordernote")
        ((stored,),) = cursor.fetchall()
    assert len(bytes(stored)) > 20 and b"neighbour" not in bytes(stored)
    written = AuditEntry.objects.get(action="order.note_added")
    assert written.fields == ["orders.OrderNote.body"] and NOTE not in str(written.detail)
    # read in full by the roles that act on orders, each for its own job
    for role, purpose in (
        (Role.AFTER_SALES, "after_sales"),
        (Role.WAREHOUSE, "fulfilment"),
        (Role.FINANCE, "refund"),
    ):
        reader, their = staff(role)
        assert NOTE in _page(their, order), role
        assert any(
            e.fields == ["orders.OrderNote.body"] and e.purpose == purpose for e in _reads(reader)
        )
    # masked for the privacy officer, without being read
    officer, theirs = staff(Role.PRIVACY_OFFICER)
    page = _page(theirs, order)
    assert NOTE not in page and "text not shown to your role" in page
    assert _reads(officer) == []


@pytest.mark.commitment("C4.3")
def test_a_note_is_validated_and_refused_to_roles_that_may_not_write_one(staff) -> None:
    order = place()
    _, client = staff(Role.AFTER_SALES)
    url = f"/staff/desk/orders/{order.number}/notes/"
    empty = client.post(url, {"note": "   "})
    assert empty.status_code == 400 and "Write the note" in empty.content.decode()
    long = client.post(url, {"note": "x" * 1001})
    assert long.status_code == 400 and "at most 1000 characters" in long.content.decode()
    _, officer = staff(Role.PRIVACY_OFFICER)
    refused = officer.post(url, {"note": NOTE})
    assert refused.status_code == 403
    assert 'id="desk-note"' not in _page(officer, order)
    _, catalog = staff(Role.CATALOG_MANAGER)
    assert catalog.post(url, {"note": NOTE}).status_code == 403
    assert not OrderNote.objects.exists()


@pytest.mark.commitment("C4.3", "C3.5")
def test_after_sales_cancels_from_the_order_page_and_others_may_not(staff) -> None:
    order = paid_order()
    url = f"/staff/desk/orders/{order.number}/cancel/"
    for role in (Role.WAREHOUSE, Role.FINANCE, Role.PRIVACY_OFFICER, Role.CATALOG_MANAGER):
        _, client = staff(role)
        assert client.post(url, {"reason": "Asked by phone."}).status_code == 403, role
        if role != Role.CATALOG_MANAGER:
            assert 'id="desk-cancel"' not in _page(client, order)
    assert Order.objects.get(pk=order.pk).status == Status.PAID
    _, client = staff(Role.AFTER_SALES)
    assert 'id="desk-cancel"' in _page(client, order)
    assert client.post(url, {"reason": ""}).status_code == 400
    answer = client.post(url, {"reason": "Asked by phone."})
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/desk/orders/{order.number}/"
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED
    page = _page(client, order)
    assert "Cancelled by after-sales" in page and "Asked by phone." in page
    # once cancelled, it cannot be cancelled again, and the form is gone
    assert 'id="desk-cancel"' not in page


@pytest.mark.commitment("C3.5", "C4.3", "C4.4")
def test_after_sales_sends_a_guest_the_tracking_details_again(staff) -> None:
    clerk, _ = staff(Role.WAREHOUSE)
    order = delivered_order(clerk)
    tracking = order.shipment.tracking_number
    url = f"/staff/desk/orders/{order.number}/tracking/"
    # other roles may not
    for role in (Role.WAREHOUSE, Role.FINANCE, Role.PRIVACY_OFFICER):
        _, client = staff(role)
        assert client.post(url).status_code == 403, role
    assert not Message.objects.filter(dedupe_key__contains=":tracking:").exists()
    mail.outbox.clear()
    agent, client = staff(Role.AFTER_SALES)
    answer = client.post(url)
    assert answer.status_code == 302
    # then a new message is in the buyer's inbox, and the guest is emailed their order link
    message = Message.objects.get(subject=order.subject, dedupe_key__contains=":tracking:")
    from lookout.access import reveal

    body = reveal(message, ["body"], purpose="subject_request", actor=None)["body"]
    assert tracking in body
    (sent,) = mail.outbox
    assert sent.to == [GUEST_EMAIL] and order.number in sent.body
    entry = AuditEntry.objects.get(action="order.tracking_resent")
    assert entry.actor_ref == str(agent.subject) and entry.detail["guest_link_emailed"] is True
    # a second click within minutes sends nothing
    again = client.post(url)
    assert again.status_code == 409 and "less than 10 minutes ago" in again.content.decode()
    assert Message.objects.filter(dedupe_key__contains=":tracking:").count() == 1
    assert "Message sent to the customer (tracking details)" in _page(client, order)


@pytest.mark.commitment("C4.3")
def test_tracking_cannot_be_resent_before_the_order_ships(staff) -> None:
    order = paid_order()
    _, client = staff(Role.AFTER_SALES)
    assert 'id="desk-resend"' not in _page(client, order)
    answer = client.post(f"/staff/desk/orders/{order.number}/tracking/")
    assert answer.status_code == 409 and "no tracking number" in answer.content.decode()
    assert not Message.objects.filter(dedupe_key__contains=":tracking:").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
@pytest.mark.commitment("C6.4")
def test_an_erased_customers_order_still_opens_with_its_details_shown_as_erased(staff) -> None:
    from lookout.privacy.erasure import erase_subject

    order = place()
    erase_subject(subject=order.subject)
    _, client = staff(Role.AFTER_SALES)
    page = _page(client, order)
    assert RECIPIENT not in page and page.count("(erased)") == 4
    assert "Order placed" in page
