"""Correction (C6.1, C6.3): self-service edits reach unshipped orders, never shipped ones."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.audit.models import AuditEntry
from lookout.checkout.models import SavedAddress
from lookout.checkout.services import save_address
from lookout.core.purposes import Purpose
from lookout.orders.models import Delivery
from lookout.orders.testing import PHONE, RECIPIENT, US_ADDRESS, place
from lookout.privacy.models import Kind, Status, SubjectRequest
from lookout.privacy.tests.conftest import EMAIL, GUEST_EMAIL, PASSWORD, pay
from lookout.vault.blind_index import email_index

pytestmark = pytest.mark.django_db
NEW_EMAIL = "ann.new@example.com"


def _delivery_name(order) -> str | None:
    delivery = Delivery.objects.get(order=order)
    return reveal(delivery, ["name"], purpose=Purpose.SUBJECT_REQUEST, actor=None)["name"]


@pytest.mark.commitment("C6.1", "C6.3")
def test_the_email_is_corrected_with_a_new_blind_index(person):
    # a wrong password changes nothing
    bad = person.client.post("/privacy/email/", {"email": NEW_EMAIL, "password": "nope-nope"})
    assert bad.status_code == 400

    response = person.client.post("/privacy/email/", {"email": NEW_EMAIL, "password": PASSWORD})

    assert response.status_code == 200
    user = User.objects.get(pk=person.user.pk)
    assert user.email_index == email_index(NEW_EMAIL)
    assert not User.objects.filter(email_index=email_index(EMAIL)).exists()
    assert reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"] == NEW_EMAIL
    entry = AuditEntry.objects.filter(action="privacy.corrected").get()
    assert entry.fields == ["accounts.User.email", "accounts.User.email_index"]
    assert NEW_EMAIL not in repr(entry.__dict__)
    # the new email signs in
    assert (
        Client().post("/accounts/login/", {"email": NEW_EMAIL, "password": PASSWORD}).status_code
        == 302
    )


@pytest.mark.commitment("C6.3")
def test_an_email_taken_by_someone_else_is_refused_cleanly(person):
    from lookout.accounts.services import create_account

    create_account(email=NEW_EMAIL, password=PASSWORD)
    response = person.client.post("/privacy/email/", {"email": NEW_EMAIL, "password": PASSWORD})
    assert response.status_code == 409
    assert User.objects.get(pk=person.user.pk).email_index == email_index(EMAIL)


@pytest.mark.commitment("C6.3")
def test_an_address_correction_reaches_unshipped_orders_but_never_shipped_ones(person):
    # given a saved address used by a delivered order and by a paid, unshipped one
    saved = save_address(
        user=person.user, name=RECIPIENT, address=dict(US_ADDRESS), country="US", phone=PHONE
    )
    shipped = person.orders[0]
    open_order = pay(place(user=person.user))

    # when the person corrects the name on the saved address
    response = person.client.post(
        f"/privacy/addresses/{saved.id}/",
        {
            "country": "US",
            "name": "Ada King",
            "street_address": US_ADDRESS["street_address"],
            "city": US_ADDRESS["city"],
            "country_area": US_ADDRESS["country_area"],
            "postal_code": US_ADDRESS["postal_code"],
            "phone": PHONE,
        },
    )

    # then the saved address and the open order say the new name; the shipped one keeps history
    assert response.status_code == 200, response.content.decode()
    assert open_order.number in response.content.decode()
    corrected = SavedAddress.objects.get(pk=saved.pk)
    assert reveal(corrected, ["name"], purpose=Purpose.SELF_SERVICE, actor=person.user)["name"] == (
        "Ada King"
    )
    assert _delivery_name(open_order) == "Ada King"
    assert _delivery_name(shipped) == RECIPIENT
    address = reveal(
        Delivery.objects.get(order=open_order),
        ["address"],
        purpose=Purpose.SUBJECT_REQUEST,
        actor=None,
    )["address"]
    assert json.loads(address or "{}")["street_address"] == US_ADDRESS["street_address"]
    assert (
        AuditEntry.objects.filter(
            action="privacy.corrected", target__startswith="orders.Delivery:"
        ).count()
        == 1
    )


def test_a_bad_address_gets_a_400_and_changes_nothing(person):
    saved = save_address(
        user=person.user, name=RECIPIENT, address=dict(US_ADDRESS), country="US", phone=PHONE
    )
    response = person.client.post(
        f"/privacy/addresses/{saved.id}/", {"country": "US", "name": "", "postal_code": "xx"}
    )
    assert response.status_code == 400
    assert (
        reveal(
            SavedAddress.objects.get(pk=saved.pk),
            ["name"],
            purpose=Purpose.SELF_SERVICE,
            actor=person.user,
        )["name"]
        == RECIPIENT
    )


@pytest.mark.commitment("C6.1", "C6.3")
def test_a_guest_correction_request_is_applied_by_the_officer_to_the_unshipped_order(
    partners, policies, sent_code, staff
):
    # given a guest with a paid order not yet shipped
    order = pay(place())
    guest = Client()
    challenge, code = sent_code(guest, email=GUEST_EMAIL, number=order.number, kind=Kind.CORRECTION)

    # when they verify and say what is wrong
    response = guest.post(
        "/privacy/guest/code/",
        {"challenge": challenge, "code": code, "details": "The name should be Ada King."},
    )
    assert response.status_code == 302
    request = SubjectRequest.objects.get()
    assert request.kind == Kind.CORRECTION and request.status == Status.RECEIVED

    # then the officer reads it through the gate and corrects the order
    _, officer = staff(Role.PRIVACY_OFFICER)
    page = officer.get(f"/privacy/queue/{request.id}/").content.decode()
    assert "The name should be Ada King." in page
    officer.post(f"/privacy/queue/{request.id}/correct/", {"order": order.id, "name": "Ada King"})
    assert _delivery_name(order) == "Ada King"
    officer.post(f"/privacy/queue/{request.id}/decide/", {"outcome": "completed", "reason": "done"})
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert "Completed" in guest.get(f"/privacy/requests/{request.id}/").content.decode()


@pytest.mark.commitment("C6.3")
def test_the_officer_cannot_rewrite_a_shipped_order(person, staff):
    from lookout.privacy.services import open_request

    request = open_request(
        subject=person.user.subject,
        kind=Kind.CORRECTION,
        via="account",
        actor=person.user,
        details="Wrong name on my old order",
    )
    _, officer = staff(Role.PRIVACY_OFFICER)
    response = officer.post(
        f"/privacy/queue/{request.id}/correct/", {"order": person.orders[0].id, "name": "X Y"}
    )
    assert response.status_code == 409
    assert _delivery_name(person.orders[0]) == RECIPIENT
