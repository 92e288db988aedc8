"""Deletion requests (C6.1, C6.4, C6.5): review, holds the person sees, what erasure leaves."""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.core.purposes import Purpose
from lookout.orders.models import Delivery, Order
from lookout.orders.testing import place
from lookout.privacy.models import Kind, Reason, Status, SubjectRequest
from lookout.privacy.tests.conftest import EMAIL, GUEST_EMAIL, PASSWORD
from lookout.vault.blind_index import email_index
from lookout.vault.crypto import KeyDestroyed
from lookout.vault.models import DataKey

pytestmark = pytest.mark.django_db


def _ask_deletion(person) -> SubjectRequest:
    response = person.client.post(
        "/privacy/requests/", {"kind": Kind.DELETION, "password": PASSWORD}
    )
    assert response.status_code == 302
    return SubjectRequest.objects.get(subject=person.user.subject, kind=Kind.DELETION)


@pytest.mark.commitment("C6.4")
def test_an_open_order_holds_the_deletion_with_a_reason_the_person_sees(person, staff):
    # given an order not yet delivered
    place(user=person.user)

    request = _ask_deletion(person)

    # then the request is on hold, and its page says why
    assert request.status == Status.ON_HOLD
    page = person.client.get(f"/privacy/requests/{request.id}/").content.decode()
    assert str(Reason.OPEN_ORDER.label) in page
    # and the officer cannot approve it past the hold: nothing is erased
    _, officer = staff(Role.PRIVACY_OFFICER)
    response = officer.post(f"/privacy/queue/{request.id}/approve/")
    assert response.status_code == 409
    assert DataKey.objects.filter(subject=person.user.subject).exists()


@pytest.mark.commitment("C6.4", "C6.5")
def test_after_review_the_person_is_erased_and_anonymous_records_stay(person, staff):
    order = person.orders[0]
    request = _ask_deletion(person)
    assert request.status == Status.RECEIVED  # waits for the officer

    # the invoice retention is stated, but does not block
    page = person.client.get(f"/privacy/requests/{request.id}/").content.decode()
    assert "Tax law makes us keep invoices" in page

    # when the privacy officer approves from the queue
    _, officer = staff(Role.PRIVACY_OFFICER)
    assert "Delete my data" in officer.get("/privacy/queue/").content.decode()
    response = officer.post(f"/privacy/queue/{request.id}/approve/")
    assert response.status_code == 302

    # then the request is completed and names the partners to follow up with
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert [p["kind"] for p in request.partners] == ["carrier"]
    # the key is gone: nothing of theirs opens any more
    user = User.objects.get(pk=person.user.pk)
    assert not DataKey.objects.filter(subject=user.subject).exists()
    with pytest.raises(KeyDestroyed):
        reveal(
            Delivery.objects.get(order=order), ["name"], purpose=Purpose.SUBJECT_REQUEST, actor=None
        )
    # the account is closed, its index gone, its sessions ended, sign-in impossible
    assert user.closed_at is not None and not user.has_usable_password()
    assert user.email_index is None
    assert not User.objects.filter(email_index=email_index(EMAIL)).exists()
    assert person.client.get("/privacy/").status_code == 302  # back to sign-in
    assert (
        Client().post("/accounts/login/", {"email": EMAIL, "password": PASSWORD}).status_code != 302
    )
    # the order stays as an anonymous record: number, amounts, country
    kept = Order.objects.get(pk=order.pk)
    assert kept.total == order.total and kept.delivery.country == "US"
    assert kept.delivery.email_index == ""


@pytest.mark.commitment("C6.4")
def test_the_officer_refuses_only_with_a_stated_reason_the_person_sees(person, staff):
    request = _ask_deletion(person)
    _, officer = staff(Role.PRIVACY_OFFICER)

    # a refusal without a valid reason is refused itself
    bad = officer.post(f"/privacy/queue/{request.id}/decide/", {"outcome": "refused", "reason": ""})
    assert bad.status_code == 400
    officer.post(
        f"/privacy/queue/{request.id}/decide/",
        {"outcome": "refused", "reason": Reason.DISPUTE},
    )

    request.refresh_from_db()
    assert request.status == Status.REFUSED
    page = person.client.get(f"/privacy/requests/{request.id}/").content.decode()
    assert str(Reason.DISPUTE.label) in page


@pytest.mark.commitment("C6.1", "C6.4")
def test_a_guest_deletion_is_auto_approved_by_the_operator_rule(guest_order, sent_code, settings):
    settings.LOOKOUT_DELETION_AUTO_APPROVE = True
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.DELETION
    )

    response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})

    request = SubjectRequest.objects.get()
    assert request.status == Status.COMPLETED and request.decided_by_role == "system"
    assert not DataKey.objects.filter(subject=guest_order.subject).exists()
    assert Delivery.objects.get(order=guest_order).email_index == ""
    # the guest sees the outcome (the session began after the erasure, and holds ids only)
    page = guest.get(response["Location"]).content.decode()
    assert "Completed" in page


@pytest.mark.commitment("C4.3", "C6.5")
def test_only_the_privacy_officer_reaches_the_queue(person, staff):
    request = _ask_deletion(person)
    # the officer reaches it and sees the request (else a page refusing everyone would pass)
    _, officer = staff(Role.PRIVACY_OFFICER)
    page = officer.get("/privacy/queue/")
    assert page.status_code == 200
    assert f"/privacy/queue/{request.id}/" in page.content.decode()
    for role in (Role.WAREHOUSE, Role.AFTER_SALES, Role.ADMINISTRATOR):
        _, client = staff(role)
        assert client.get("/privacy/queue/").status_code == 404
    assert person.client.get("/privacy/queue/").status_code == 404
    assert Client().get("/privacy/queue/").status_code == 404


@pytest.mark.commitment("C6.4")
@pytest.mark.django_db
def test_erasure_unlinks_cookie_receipts_and_removes_purpose_consents(person):
    from lookout.consent.models import ConsentReceipt
    from lookout.consent.services import record_choice
    from lookout.marketing.models import PurposeConsent
    from lookout.marketing.repurpose import grant_purpose_consent
    from lookout.privacy.erasure import erase_subject

    # Given a person who kept their cookie receipt linked and consented to a one-off purpose
    receipt = record_choice(method="custom", analytics=True, subject=person.user.subject)
    grant_purpose_consent(
        subject=person.user.subject,
        purpose_code="survey_2026",
        wording="Use my email for the 2026 product survey.",
        actor=person.user,
    )
    # When the person is erased
    erase_subject(subject=person.user.subject)
    # Then the receipt stays as anonymous proof of a choice, and the consent is gone
    receipt = ConsentReceipt.objects.get(pk=receipt.pk)
    assert receipt.subject is None
    assert receipt.analytics is True
    assert not PurposeConsent.objects.filter(subject=person.user.subject).exists()
