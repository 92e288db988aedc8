"""Guests prove control of the order's email with a one-time code (C6.1); nothing leaks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from freezegun import freeze_time

from lookout.privacy.models import GuestChallenge, Kind, SubjectRequest
from lookout.privacy.tests.conftest import GUEST_EMAIL, RECIPIENT
from lookout.privacy.verification import MAX_ATTEMPTS

pytestmark = pytest.mark.django_db


def _normalise(html: str, *values: str) -> str:
    """The page without what differs on every response: nonces, CSRF tokens, random ids."""
    for value in values:
        html = html.replace(value, "X")
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", html)


@pytest.mark.commitment("C6.1")
def test_the_answer_is_the_same_whether_or_not_the_order_and_email_match(guest_order):
    # given a real order and three submissions: matching, wrong email, unknown order number
    answers = []
    for email, number in (
        (GUEST_EMAIL, guest_order.number),
        ("someone.else@example.com", guest_order.number),
        (GUEST_EMAIL, "LK-ZZZZZZZZ"),
    ):
        response = Client().post(
            "/privacy/guest/", {"email": email, "order_number": number, "kind": Kind.ACCESS}
        )
        challenge = GuestChallenge.objects.order_by("-created_at").first()
        assert challenge is not None
        answers.append(
            (response.status_code, _normalise(response.content.decode(), str(challenge.id)))
        )

    # then the status and page are identical (only the random challenge id differs)
    assert answers[0][0] == answers[1][0] == answers[2][0] == 200
    assert answers[0][1] == answers[1][1] == answers[2][1]
    # and a code went out only to the order's own email
    assert [m.to for m in mail.outbox if "privacy request code" in m.subject] == [[GUEST_EMAIL]]


@pytest.mark.commitment("C6.1")
def test_a_wrong_code_is_refused_and_the_code_is_attempt_limited(guest_order, sent_code):
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(MAX_ATTEMPTS):
        response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": wrong})
        assert response.status_code == 400
        assert "code is not valid" in response.content.decode()

    # after the limit even the right code fails, with the same message
    response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert response.status_code == 400
    assert "code is not valid" in response.content.decode()
    assert SubjectRequest.objects.count() == 0


@pytest.mark.commitment("C6.1")
def test_an_expired_code_is_refused(guest_order, sent_code):
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    with freeze_time(GuestChallenge.objects.get(pk=challenge).expires_at + timedelta(seconds=1)):
        response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert response.status_code == 400
    assert SubjectRequest.objects.count() == 0


@pytest.mark.commitment("C6.1")
def test_a_code_works_once(guest_order, sent_code, django_capture_on_commit_callbacks):
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.DELETION
    )
    first = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert first.status_code == 302

    # replayed from another browser, the same code and challenge do nothing
    replay = Client().post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert replay.status_code == 400
    assert SubjectRequest.objects.count() == 1


@pytest.mark.commitment("C6.1")
def test_the_code_is_stored_only_as_a_keyed_hash(guest_order, sent_code):
    from lookout.testing.raw import raw_rows

    _, code = sent_code(Client(), email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS)
    assert code is not None
    assert code not in repr(raw_rows("privacy_guestchallenge"))


@pytest.mark.commitment("C6.1", "C6.2")
def test_someone_elses_order_leaks_nothing(
    guest_order, sent_code, django_capture_on_commit_callbacks
):
    # given a second guest who knows the victim's order number but not their mailbox
    from lookout.orders.testing import place

    mine = place(email="me.myself@example.com", name="Mallory Me")
    attacker = Client()
    # when they name the victim's order with their own email: no code is sent to anyone
    challenge, code = sent_code(
        attacker, email="me.myself@example.com", number=guest_order.number, kind=Kind.ACCESS
    )
    assert code is None
    # and guessing codes gets nowhere
    for guess in ("123456", "000000"):
        response = attacker.post("/privacy/guest/code/", {"challenge": challenge, "code": guess})
        assert response.status_code == 400
        assert RECIPIENT not in response.content.decode()
    # when they verify their own order and then open the victim's request or file
    own, own_code = sent_code(
        attacker, email="me.myself@example.com", number=mine.number, kind=Kind.ACCESS
    )
    with django_capture_on_commit_callbacks(execute=True):
        attacker.post("/privacy/guest/code/", {"challenge": own, "code": own_code})
    victim = Client()
    v_challenge, v_code = sent_code(
        victim, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    with django_capture_on_commit_callbacks(execute=True):
        victim.post("/privacy/guest/code/", {"challenge": v_challenge, "code": v_code})
    theirs = SubjectRequest.objects.get(subject=guest_order.subject)
    page = attacker.get(f"/privacy/requests/{theirs.id}/")
    # then they get the same 404 as for a request that does not exist
    assert page.status_code == 404
    assert RECIPIENT not in page.content.decode()
    victim_page = victim.get(f"/privacy/requests/{theirs.id}/").content.decode()
    link = victim_page.split('class="download" href="', 1)[1].split('"', 1)[0]
    stolen = attacker.get(link)
    assert stolen.status_code == 404
    assert RECIPIENT not in stolen.content.decode()


def test_bad_input_gets_a_clear_400(guest_order):
    response = Client().post(
        "/privacy/guest/", {"email": "not-an-email", "order_number": "x", "kind": "everything"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Order numbers look like" in body
    assert GuestChallenge.objects.count() == 0
    response = Client().post("/privacy/guest/code/", {"challenge": "nope", "code": "12"})
    assert response.status_code == 400
