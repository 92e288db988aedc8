"""Correction (C6.3), in detail: what each correction writes, to whom, and what it refuses.

The saved-address correction, the officer's correction of an order's delivery and the buyer's
change of an order's address, through `privacy.correction` (and the buyer's page): each field
ends up as typed, sealed (never plain text in the row), on exactly the records it is meant for;
the audit log names who changed which fields of what, never the values; a refusal says why in
words a person understands and writes nothing.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.checkout.models import SavedAddress
from lookout.checkout.services import save_address
from lookout.core.errors import Conflict, LookoutError, NotFound
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders.models import Delivery, Order, Status
from lookout.orders.testing import GUEST_EMAIL, PHONE, RECIPIENT, US_ADDRESS, place
from lookout.privacy import correction
from lookout.privacy.tests.conftest import deliver, pay
from lookout.vault.blind_index import email_index

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

NEW_NAME = "Grace Hopper"
NEW_PHONE = "+12125550199"
NEW_ADDRESS = {
    "country_code": "US",
    "street_address": "350 Fifth Avenue",
    "city": "NEW YORK",
    "country_area": "NY",
    "postal_code": "10118",
}
CA_ADDRESS = {
    "country_code": "CA",
    "street_address": "290 Bremner Blvd",
    "city": "TORONTO",
    "country_area": "ON",
    "postal_code": "M5V 3L9",
}
NEW_EMAIL = "grace.hopper@example.net"

PROCESSING_REASON = (
    "Our warehouse has started preparing this order, so its delivery address can no longer be "
    "changed here. Please contact our customer service."
)
HANDED_OVER_REASON = (
    "This order has been handed to the carrier; its delivery address stays as it was."
)


# --- helpers ---------------------------------------------------------------------------------


def _customer() -> Any:
    from lookout.accounts.services import create_account

    return create_account(
        email=f"buyer.{secrets.token_hex(3)}@example.com", password="a-long-passphrase-1"
    )


def _values(obj: Any) -> dict[str, Any]:
    values = reveal(obj, ["name", "address", "phone"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
    return {
        "name": values["name"],
        "address": json.loads(values["address"] or "{}"),
        "phone": values["phone"],
        "country": obj.country,
    }


def _saved(saved: SavedAddress) -> dict[str, Any]:
    return _values(SavedAddress.objects.get(pk=saved.pk))


def _delivery(order: Order) -> dict[str, Any]:
    return _values(Delivery.objects.get(order=order))


def _delivery_email(order: Order) -> str | None:
    delivery = Delivery.objects.get(order=order)
    return reveal(delivery, ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=None)["email"]


def _raw_row(table: str, pk: Any) -> str:
    """Every column of the row as the database holds it (bytes read as latin-1)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL keeps UUIDs as uuid, not hex text
            cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [str(pk)])
            row = cursor.fetchone()
    assert row is not None
    return " ".join(
        bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v) for v in row
    )


def _entries_after(seq: int, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=seq, **filters).order_by("seq"))


def _last_seq() -> int:
    last = AuditEntry.objects.order_by("-seq").first()
    return last.seq if last else 0


def _set_status(order: Order, status: str) -> Order:
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def _save(user: Any, **overrides: Any) -> SavedAddress:
    values: dict[str, Any] = {
        "name": RECIPIENT,
        "address": dict(US_ADDRESS),
        "country": "US",
        "phone": PHONE,
    }
    return save_address(user=user, **(values | overrides))


# --- the saved address, and the open orders that still use it --------------------------------


@pytest.mark.commitment("C6.3")
def test_a_saved_address_correction_writes_each_field_sealed_and_reaches_only_its_orders() -> None:
    # given Ann's saved address, another of hers, her open order using the first, and Bob's
    # open order to exactly the same name, street and phone
    ann, bob = _customer(), _customer()
    older = _save(ann, name="Ann Elsewhere", phone=None, address=dict(CA_ADDRESS), country="CA")
    saved = _save(ann)
    ann_order = place(user=ann)
    bob_order = place(user=bob)
    other_before = _saved(older)
    bob_before = _delivery(bob_order)
    seq = _last_seq()

    # when Ann corrects the name, street and phone of the saved address
    corrected = correction.correct_saved_address(
        user=ann,
        address_id=saved.id,
        name=NEW_NAME,
        address=dict(NEW_ADDRESS),
        country="US",
        phone=NEW_PHONE,
    )
    reads = _entries_after(seq, action="reveal")

    # then the saved address and her open order say exactly what she typed
    expected = {"name": NEW_NAME, "address": NEW_ADDRESS, "phone": NEW_PHONE, "country": "US"}
    assert corrected == [ann_order.number]
    assert _saved(saved) == expected
    assert _delivery(ann_order) == expected
    # her other saved address and Bob's order are untouched
    assert _saved(older) == other_before
    assert _delivery(bob_order) == bob_before
    # both rows hold the new values sealed, never in plain text
    for table, pk in (
        ("checkout_savedaddress", saved.pk),
        ("orders_delivery", Delivery.objects.get(order=ann_order).pk),
    ):
        raw = _raw_row(table, pk)
        assert "Grace" not in raw and "Fifth Avenue" not in raw and "5550199" not in raw
    # the audit log names Ann, the record and the fields changed, never their values
    (on_saved,) = _entries_after(
        seq, action="privacy.corrected", target=f"checkout.SavedAddress:{saved.pk}"
    )
    assert on_saved.actor_ref == str(ann.subject)
    assert on_saved.subject_ref == str(ann.subject)
    assert on_saved.purpose == str(Purpose.SELF_SERVICE)
    assert sorted(on_saved.fields) == sorted(
        f"checkout.SavedAddress.{f}" for f in ("name", "address", "phone", "country")
    )
    delivery_pk = Delivery.objects.get(order=ann_order).pk
    (on_delivery,) = _entries_after(
        seq, action="privacy.corrected", target=f"orders.Delivery:{delivery_pk}"
    )
    assert on_delivery.actor_ref == str(ann.subject)
    assert on_delivery.subject_ref == str(ann.subject)
    assert on_delivery.detail["order"] == ann_order.number
    assert {"orders.Delivery.name", "orders.Delivery.address", "orders.Delivery.phone"} <= set(
        on_delivery.fields
    )
    assert not _entries_after(seq, action="privacy.corrected", subject_ref=str(bob.subject)), (
        "Bob's order is not Ann's to correct"
    )
    for entry in _entries_after(seq, action="privacy.corrected"):
        text = json.dumps([entry.fields, entry.detail, entry.target])
        assert "Grace" not in text and "Fifth" not in text and "5550199" not in text
    # and the reads the correction made of her records are on the log in her name
    for target in (f"checkout.SavedAddress:{saved.pk}", f"orders.Delivery:{delivery_pk}"):
        assert {e.actor_ref for e in reads if e.target == target} == {str(ann.subject)}, target


@pytest.mark.commitment("C6.3")
def test_only_the_orders_with_the_very_same_address_are_corrected() -> None:
    # given Ann's saved address and, placed in this order, open orders to: the same lines in
    # another country, the same address with another phone, another street, and the same
    # address exactly
    ann = _customer()
    saved = _save(ann)
    other_country = place(user=ann)
    Delivery.objects.filter(order=other_country).update(country="CA")
    other_phone = place(user=ann, phone="+16505550999")
    other_street = place(user=ann, address=dict(US_ADDRESS, street_address="1 Infinite Loop"))
    same = place(user=ann)
    untouched = {o.pk: _delivery(o) for o in (other_country, other_phone, other_street)}

    # when she corrects the saved address
    corrected = correction.correct_saved_address(
        user=ann,
        address_id=saved.id,
        name=NEW_NAME,
        address=dict(NEW_ADDRESS),
        country="US",
        phone=NEW_PHONE,
    )

    # then only the order that still used it is corrected; the others keep their details
    assert corrected == [same.number]
    assert _delivery(same)["name"] == NEW_NAME
    for order in (other_country, other_phone, other_street):
        assert _delivery(order) == untouched[order.pk], order.number


@pytest.mark.commitment("C6.3")
def test_a_country_correction_reaches_the_open_order_and_is_on_the_log() -> None:
    # given Ann's saved US address used by an open order
    ann = _customer()
    saved = _save(ann)
    order = place(user=ann)
    seq = _last_seq()

    # when she corrects it to her address in Canada, without a phone
    correction.correct_saved_address(
        user=ann,
        address_id=saved.id,
        name=RECIPIENT,
        address=dict(CA_ADDRESS),
        country="CA",
        phone="",
    )

    # then both the saved address and the order's delivery are in Canada, with no phone
    expected = {"name": RECIPIENT, "address": CA_ADDRESS, "phone": None, "country": "CA"}
    assert _saved(saved) == expected
    assert _delivery(order) == expected
    # and the log names the country among the delivery's fields changed
    delivery_pk = Delivery.objects.get(order=order).pk
    (entry,) = _entries_after(
        seq, action="privacy.corrected", target=f"orders.Delivery:{delivery_pk}"
    )
    assert "orders.Delivery.country" in entry.fields
    assert all(f.startswith("orders.Delivery.") for f in entry.fields)


@pytest.mark.commitment("C6.3")
def test_only_the_chosen_saved_address_of_its_owner_is_corrected() -> None:
    # given Ann's two saved addresses and Bob
    ann, bob = _customer(), _customer()
    first = _save(ann)
    second = _save(ann, name="Ann Office")
    before = {a.pk: _saved(a) for a in (first, second)}

    # when Bob names Ann's address, nothing is found and nothing changes
    with pytest.raises(NotFound) as refused:
        correction.correct_saved_address(
            user=bob, address_id=first.id, name="Bob", address={}, country="US", phone=None
        )
    assert refused.value.message == "That saved address does not exist."
    assert {a.pk: _saved(a) for a in (first, second)} == before
    assert not AuditEntry.objects.filter(action="privacy.corrected").exists()

    # when Ann corrects each one in turn, the other stays as it was
    for chosen, other in ((first, second), (second, first)):
        correction.correct_saved_address(
            user=ann,
            address_id=chosen.id,
            name=f"Corrected {chosen.pk.hex[:6]}",
            address=dict(US_ADDRESS),
            country="US",
            phone=PHONE,
        )
        assert _saved(chosen)["name"] == f"Corrected {chosen.pk.hex[:6]}"
        assert _saved(other)["name"] == before[other.pk]["name"]
        before[chosen.pk] = _saved(chosen)


# --- the officer's correction of an order's delivery ----------------------------------------


@pytest.mark.commitment("C6.3", "C4.2")
def test_the_officer_corrects_a_guests_email_with_a_new_blind_index(staff) -> None:
    # given a guest's paid order
    officer, _ = staff(Role.PRIVACY_OFFICER)
    order = pay(place())
    delivery_pk = Delivery.objects.get(order=order).pk
    seq = _last_seq()

    # when the officer corrects the email only
    correction.correct_delivery(
        order_id=order.id, subject=order.subject, values={"email": NEW_EMAIL}, actor=officer
    )

    # then the delivery carries the new email, sealed, and only the new index finds it
    assert _delivery_email(order) == NEW_EMAIL
    delivery = Delivery.objects.get(order=order)
    assert delivery.email_index == email_index(NEW_EMAIL)
    assert not Delivery.objects.filter(email_index=email_index(GUEST_EMAIL), order=order).exists()
    assert NEW_EMAIL not in _raw_row("orders_delivery", delivery_pk)
    # the rest of the delivery is as it was
    assert _delivery(order) == {
        "name": RECIPIENT,
        "address": US_ADDRESS,
        "phone": PHONE,
        "country": "US",
    }
    # the log names the officer, the guest, the record and both email fields, not the value
    (entry,) = _entries_after(seq, action="privacy.corrected")
    assert entry.actor_ref == str(officer.subject)
    assert entry.subject_ref == str(order.subject)
    assert entry.target == f"orders.Delivery:{delivery_pk}"
    assert sorted(entry.fields) == ["orders.Delivery.email", "orders.Delivery.email_index"]
    assert entry.detail["order"] == order.number
    assert "grace" not in json.dumps(entry.detail).lower()


@pytest.mark.commitment("C6.3")
def test_an_email_the_officer_removes_leaves_no_blind_index(staff) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    order = pay(place())
    correction.correct_delivery(
        order_id=order.id, subject=order.subject, values={"email": ""}, actor=officer
    )
    assert _delivery_email(order) is None
    assert Delivery.objects.get(order=order).email_index == ""


@pytest.mark.commitment("C6.3")
def test_the_officer_may_correct_each_delivery_field_on_its_own(staff) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    order = pay(place())

    def correct(**values: Any) -> None:
        correction.correct_delivery(
            order_id=order.id, subject=order.subject, values=values, actor=officer
        )

    correct(address=dict(NEW_ADDRESS))
    assert _delivery(order) == {
        "name": RECIPIENT,
        "address": NEW_ADDRESS,
        "phone": PHONE,
        "country": "US",
    }
    correct(phone=NEW_PHONE)
    assert _delivery(order)["phone"] == NEW_PHONE
    correct(name=NEW_NAME)
    assert _delivery(order)["name"] == NEW_NAME
    correct(email=NEW_EMAIL)
    assert _delivery_email(order) == NEW_EMAIL
    assert _delivery(order) == {
        "name": NEW_NAME,
        "address": NEW_ADDRESS,
        "phone": NEW_PHONE,
        "country": "US",
    }


@pytest.mark.commitment("C6.3")
@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "Only the name, address, phone and email of a delivery can be set."),
        ({"country": "FR"}, "Only the name, address, phone and email of a delivery can be set."),
        (
            {"name": NEW_NAME, "country": "FR"},
            "Only the name, address, phone and email of a delivery can be set.",
        ),
        ({"name": ""}, "The recipient's name cannot be empty."),
        ({"name": "", "phone": NEW_PHONE}, "The recipient's name cannot be empty."),
    ],
)
def test_the_officer_cannot_set_anything_else_nor_empty_the_name(staff, values, message) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    order = pay(place())
    before = _delivery(order)
    with pytest.raises(LookoutError) as refused:
        correction.correct_delivery(
            order_id=order.id, subject=order.subject, values=values, actor=officer
        )
    assert refused.value.message == message
    assert _delivery(order) == before
    assert not AuditEntry.objects.filter(action="privacy.corrected").exists()


@pytest.mark.commitment("C6.3")
def test_the_officer_corrects_only_the_named_order_of_the_requests_person(staff) -> None:
    # given Ann's two open orders and Bob's
    officer, _ = staff(Role.PRIVACY_OFFICER)
    ann, bob = _customer(), _customer()
    first, second = place(user=ann), place(user=ann)
    bobs = place(user=bob)
    bob_before = _delivery(bobs)

    # when the officer, on Ann's request, names Bob's order: not found, nothing changes
    with pytest.raises(NotFound) as refused:
        correction.correct_delivery(
            order_id=bobs.id, subject=ann.subject, values={"name": "X Y"}, actor=officer
        )
    assert refused.value.message == "That order does not belong to this request."
    assert _delivery(bobs) == bob_before

    # when the officer corrects each of Ann's orders in turn, only that one changes
    for chosen, other in ((second, first), (first, second)):
        name = f"Ann {chosen.number}"
        correction.correct_delivery(
            order_id=chosen.id, subject=ann.subject, values={"name": name}, actor=officer
        )
        assert _delivery(chosen)["name"] == name
        assert _delivery(other)["name"] != name


@pytest.mark.commitment("C6.3")
def test_the_officer_cannot_rewrite_a_delivered_order(staff) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    order = deliver(place())
    before = _delivery(order)
    with pytest.raises(Conflict) as refused:
        correction.correct_delivery(
            order_id=order.id, subject=order.subject, values={"name": NEW_NAME}, actor=officer
        )
    assert refused.value.message == (
        "This order has shipped; its delivery record is history and stays."
    )
    assert _delivery(order) == before


# --- the buyer changes an order's address ----------------------------------------------------


@pytest.mark.commitment("C6.3")
@pytest.mark.parametrize("status", [Status.PLACED, Status.PAID])
def test_the_buyer_changes_the_address_of_the_named_unshipped_order(status) -> None:
    # given Ann's two orders, the first in `status`
    ann = _customer()
    order = place(user=ann)
    if status == Status.PAID:
        order = pay(order)
    other = place(user=ann)
    other_before = _delivery(other)
    seq = _last_seq()

    # when she changes the first one's address, typing the order number loosely
    changed = correction.change_order_address(
        user=ann,
        number=f"  {order.number.lower()} ",
        name=f"  {NEW_NAME} ",
        address=dict(NEW_ADDRESS),
        phone=NEW_PHONE,
    )

    # then that order goes to the new address, the name trimmed; her other order does not
    assert changed.pk == order.pk
    assert _delivery(order) == {
        "name": NEW_NAME,
        "address": NEW_ADDRESS,
        "phone": NEW_PHONE,
        "country": "US",
    }
    assert _delivery(other) == other_before
    # the log names her and the fields, for self-service
    (entry,) = _entries_after(seq, action="privacy.corrected")
    assert entry.actor_ref == str(ann.subject)
    assert entry.target == f"orders.Delivery:{Delivery.objects.get(order=order).pk}"
    assert entry.purpose == str(Purpose.SELF_SERVICE)
    # and she is told, so a change she did not make does not go unnoticed
    told = [
        reveal(m, ["title", "body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)
        for m in Message.objects.filter(subject=ann.subject)
    ]
    (notice,) = [
        m for m in told if m["title"] == f"Delivery address changed — order {order.number}"
    ]
    assert notice["body"] == (
        f"The delivery address of order {order.number} was changed from your account. "
        "We will send the parcel to the new address. If you did not make this change, "
        "contact our customer service before the order ships."
    )


@pytest.mark.commitment("C6.3")
def test_the_buyer_cannot_change_someone_elses_order_nor_empty_the_name() -> None:
    ann, bob = _customer(), _customer()
    order = place(user=ann)
    before = _delivery(order)
    messages = Message.objects.filter(subject=ann.subject).count()

    with pytest.raises(NotFound) as refused:
        correction.change_order_address(
            user=bob, number=order.number, name=NEW_NAME, address=dict(NEW_ADDRESS), phone=None
        )
    assert refused.value.message == "No such order."

    with pytest.raises(LookoutError) as empty:
        correction.change_order_address(
            user=ann, number=order.number, name="   ", address=dict(NEW_ADDRESS), phone=None
        )
    assert empty.value.message == "The recipient's name cannot be empty."

    assert _delivery(order) == before
    assert not AuditEntry.objects.filter(action="privacy.corrected").exists()
    assert Message.objects.filter(subject=ann.subject).count() == messages


@pytest.mark.commitment("C6.3")
@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Status.PROCESSING, PROCESSING_REASON),
        (Status.SHIPPED, HANDED_OVER_REASON),
        (Status.DELIVERED, HANDED_OVER_REASON),
        (Status.CANCELLED, "This order was cancelled: there is no delivery address to change."),
        (
            Status.PAYMENT_FAILED,
            "This order's payment failed: there is no delivery address to change.",
        ),
        (
            Status.EXPIRED,
            "This order was not paid in time and was released: there is no delivery address to "
            "change.",
        ),
    ],
)
def test_an_address_change_is_refused_with_the_reason_for_each_closed_status(
    status, reason
) -> None:
    # given Ann's order in `status`
    ann = _customer()
    order = _set_status(place(user=ann), status)
    before = _delivery(order)
    messages = Message.objects.filter(subject=ann.subject).count()

    # when she tries to change its address: refused, with the reason for that status
    with pytest.raises(correction.AddressLocked) as refused:
        correction.change_order_address(
            user=ann, number=order.number, name=NEW_NAME, address=dict(NEW_ADDRESS), phone=None
        )
    assert refused.value.message == reason
    # the page says the same
    client = Client()
    client.force_login(ann)
    page = client.get(f"/privacy/orders/{order.number}/address/")
    assert page.status_code == 409
    assert reason in page.content.decode().replace("&#x27;", "'")
    # and nothing changed
    assert _delivery(order) == before
    assert not AuditEntry.objects.filter(action="privacy.corrected").exists()
    assert Message.objects.filter(subject=ann.subject).count() == messages
