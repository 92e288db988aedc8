"""Identity first (C6.1), the exact edges: the code's email, its last moment and last attempt,
what goes on the audit log, and who may confirm a password. The whole flows are in
test_requests_guest.py; these are the checks the promise rests on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.privacy.models import GuestChallenge, Kind, SubjectRequest
from lookout.privacy.tests.conftest import GUEST_EMAIL, PASSWORD
from lookout.privacy.verification import (
    MAX_ATTEMPTS,
    NotVerified,
    reauthenticate,
    start_guest_challenge,
    verify_guest_code,
)

pytestmark = pytest.mark.django_db


def _code(body: object) -> str:
    """The code in a sent email's body (django-stubs types a body as str or a lazy string)."""
    return str(body).split("Your code is ", 1)[1].split(".", 1)[0]


@pytest.mark.commitment("C6.1")
def test_the_code_email_says_what_was_asked_for_which_order_and_for_how_long(guest_order):
    # When a guest asks to delete their data, naming their order in lower case with spaces
    response = Client().post(
        "/privacy/guest/",
        {
            "email": GUEST_EMAIL,
            "order_number": f"  {guest_order.number.lower()} ",
            "kind": Kind.DELETION,
        },
    )
    assert response.status_code == 200
    # Then one email goes to the order's address, from the store, and says it all
    (sent,) = mail.outbox
    assert sent.to == [GUEST_EMAIL]
    assert sent.from_email == settings.DEFAULT_FROM_EMAIL
    assert sent.subject == "Your Lookout privacy request code"
    code = _code(sent.body)
    assert sent.body == (
        f"Your code is {code}. It works once, for 15 minutes.\n\n"
        f"Someone asked to delete my data for order {guest_order.number}. "
        "If that was not you, ignore this email: nothing happens without the code.\n"
    )


@pytest.mark.commitment("C6.1")
def test_every_code_is_six_digits(guest_order):
    for _ in range(8):
        start_guest_challenge(email=GUEST_EMAIL, order_number=guest_order.number, kind="access")
    codes = [_code(m.body) for m in mail.outbox]
    assert len(codes) == 8
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes), codes


@pytest.mark.commitment("C6.1")
def test_a_code_works_up_to_its_last_moment_and_not_at_it(guest_order):
    sent_at = timezone.now()
    with freeze_time(sent_at):
        late = start_guest_challenge(
            email=GUEST_EMAIL, order_number=guest_order.number, kind="access"
        )
        late_code = _code(mail.outbox[-1].body)
        just = start_guest_challenge(
            email=GUEST_EMAIL, order_number=guest_order.number, kind="access"
        )
        just_code = _code(mail.outbox[-1].body)
    assert late.expires_at == just.expires_at == sent_at + timedelta(minutes=15)

    with freeze_time(late.expires_at), pytest.raises(NotVerified):
        verify_guest_code(challenge_id=late.id, code=late_code)
    with freeze_time(just.expires_at - timedelta(seconds=1)):
        identity = verify_guest_code(challenge_id=just.id, code=just_code)
    assert identity.subject == guest_order.subject and identity.order_ref == guest_order.id


@pytest.mark.commitment("C6.1")
def test_the_right_code_still_works_on_the_last_attempt(guest_order, sent_code):
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(MAX_ATTEMPTS - 1):
        assert (
            guest.post("/privacy/guest/code/", {"challenge": challenge, "code": wrong}).status_code
            == 400
        )
    # Each wrong try counted once
    assert GuestChallenge.objects.get(pk=challenge).attempts == MAX_ATTEMPTS - 1
    response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert response.status_code == 302
    made = SubjectRequest.objects.get()
    assert made.subject == guest_order.subject and made.kind == Kind.ACCESS


@pytest.mark.commitment("C6.1")
def test_a_code_with_spaces_around_it_works(guest_order):
    challenge = start_guest_challenge(
        email=GUEST_EMAIL, order_number=guest_order.number, kind="correction"
    )
    code = _code(mail.outbox[-1].body)
    identity = verify_guest_code(challenge_id=challenge.id, code=f" {code}\n")
    assert identity.kind == Kind.CORRECTION


@pytest.mark.commitment("C6.1", "C4.4")
def test_sending_a_code_and_verifying_it_are_on_the_audit_log(guest_order):
    challenge = start_guest_challenge(
        email=GUEST_EMAIL, order_number=guest_order.number, kind="access"
    )
    sent = AuditEntry.objects.get(action="privacy.guest_code_sent")
    assert sent.subject_ref == str(guest_order.subject)
    assert sent.target == f"orders.Order:{guest_order.pk}"
    assert sent.purpose == Purpose.SUBJECT_REQUEST
    # The address the code went to was read through the gate, for the request
    read = AuditEntry.objects.get(action="reveal", subject_ref=str(guest_order.subject))
    assert read.purpose == Purpose.SUBJECT_REQUEST and read.fields == ["orders.Delivery.email"]

    verify_guest_code(challenge_id=challenge.id, code=_code(mail.outbox[-1].body))
    verified = AuditEntry.objects.get(action="privacy.guest_verified")
    assert verified.subject_ref == str(guest_order.subject)
    assert verified.target == f"orders.Order:{guest_order.pk}"
    # Neither names the email address
    assert GUEST_EMAIL not in repr([sent.detail, verified.detail, sent.target, verified.target])


@pytest.mark.commitment("C6.1")
def test_a_request_for_something_else_is_refused_with_a_message(guest_order):
    with pytest.raises(NotVerified) as refused:
        start_guest_challenge(email=GUEST_EMAIL, order_number=guest_order.number, kind="all")
    assert refused.value.message == (
        "Choose what you are asking for: see, correct or delete your data."
    )
    assert GuestChallenge.objects.count() == 0 and mail.outbox == []


@pytest.mark.commitment("C6.1")
def test_a_password_is_confirmed_only_for_an_open_account(policies):
    person = create_account(email="open@example.com", password=PASSWORD)
    reauthenticate(user=person, password=PASSWORD)  # the right password: no error
    with pytest.raises(NotVerified, match="password is not right"):
        reauthenticate(user=person, password="")
    # An account switched off, or closed, cannot confirm its password from an old session
    switched_off = create_account(email="off@example.com", password=PASSWORD)
    switched_off.is_active = False
    switched_off.save()
    closed = create_account(email="closed@example.com", password=PASSWORD)
    closed.closed_at = closed.date_joined
    closed.save()
    for user in (switched_off, closed):
        with pytest.raises(NotVerified, match="password is not right"):
            reauthenticate(user=user, password=PASSWORD)


@pytest.mark.commitment("C6.1", "C6.3")
def test_a_guest_correction_that_does_not_say_what_is_wrong_is_sent_back(guest_order, sent_code):
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.CORRECTION
    )
    empty = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert empty.status_code == 400
    assert "Tell us what is wrong and what it should say." in empty.content.decode()
    assert SubjectRequest.objects.count() == 0
    # The code was not used up: with the details it works
    made = guest.post(
        "/privacy/guest/code/",
        {"challenge": challenge, "code": code, "details": "The house number should be 12."},
    )
    assert made.status_code == 302
    assert SubjectRequest.objects.get().kind == Kind.CORRECTION
