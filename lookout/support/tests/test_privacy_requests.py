"""A privacy request made through customer service (issue 23, item 3; C6.6): after-sales hands
the conversation to the privacy officer, the person is pointed to the request form, and the
request they make there passes the same identity check as any other (C6.1: the password again
for an account, a one-time code to the order's email for a guest) and lands in the privacy
officer's queue with its own due date."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from lookout.orders.guest import guest_token
from lookout.orders.testing import place
from lookout.privacy.models import SubjectRequest
from lookout.support import services, visitors
from lookout.support.models import Conversation, RequestLink, Visitor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


@pytest.mark.commitment("C6.6", "C6.1")
def test_a_request_through_customer_service_reaches_the_privacy_officer(customer, staff):
    user, client = customer()
    client.post(
        "/help/conversations/new/", {"topic": "general", "body": "What data do you have on me?"}
    )
    conversation = Conversation.objects.get(subject=user.subject)
    page = client.get(f"/help/conversations/{conversation.pk}/").content.decode()
    assert 'id="privacy-request"' not in page  # with after-sales: no privacy pointer yet
    _, desk = staff("after_sales")
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "handover", "to": "privacy_officer"})

    page = client.get(f"/help/conversations/{conversation.pk}/").content.decode()
    assert 'id="privacy-request"' in page and 'href="/privacy/"' in page
    # The same identity check as any request: a wrong password makes nothing.
    refused = client.post("/privacy/requests/", {"kind": "access", "password": "not-it"})
    assert refused.status_code in (400, 403)
    assert not SubjectRequest.objects.filter(subject=user.subject).exists()
    made = client.post("/privacy/requests/", {"kind": "access", "password": "a-long-passphrase-1"})
    assert made.status_code == 302
    request = SubjectRequest.objects.get(subject=user.subject)
    assert request.via == "account" and request.due_at is not None
    _, officer = staff("privacy_officer")
    assert str(request.id) in officer.get("/privacy/queue/").content.decode()
    # and the conversation itself is in the officer's conversation queue
    assert str(conversation.pk) in officer.get("/help/staff/").content.decode()


@pytest.mark.commitment("C6.6")
def test_a_guest_is_pointed_to_the_code_checked_request_form(staff):
    order = place()
    token = guest_token(order=order)
    client = Client()
    client.post(
        f"/help/guest/{token}/",
        {"number": order.number, "action": "open", "body": "Please delete my data."},
    )
    conversation = Conversation.objects.get(order=order)
    services.hand_over(conversation=conversation, to_role="privacy_officer")
    page = client.post(f"/help/guest/{token}/", {"number": order.number}).content.decode()
    assert "with our privacy officer" in page and 'href="/privacy/guest/"' in page


# --- a request born in a conversation is linked to it both ways (issue 23, item 3) ---------


@pytest.mark.commitment("C6.6")
def test_a_request_made_after_hand_over_is_linked_to_the_conversation_both_ways(
    customer, staff
) -> None:
    user, client = customer()
    client.post("/help/conversations/new/", {"topic": "general", "body": "Delete my data?"})
    conversation = Conversation.objects.get(subject=user.subject)
    # A request made while the conversation is still with after-sales did not come from it.
    client.post("/privacy/requests/", {"kind": "access", "password": "a-long-passphrase-1"})
    early = SubjectRequest.objects.get(subject=user.subject, kind="access")
    assert not RequestLink.objects.filter(request_id=early.pk).exists()

    services.hand_over(conversation=conversation, to_role="privacy_officer")
    client.post("/privacy/requests/", {"kind": "deletion", "password": "a-long-passphrase-1"})
    made = SubjectRequest.objects.get(subject=user.subject, kind="deletion")
    (link,) = RequestLink.objects.filter(conversation=conversation)
    assert link.request_id == made.pk and link.kind == "deletion"

    _, officer = staff("privacy_officer")
    # From the request to the conversation ...
    page = officer.get(f"/privacy/queue/{made.pk}/").content.decode()
    box = page.split('id="request-conversations"')[1].split("</section>")[0]
    assert f'href="/help/staff/{conversation.pk}/"' in box
    assert "Delete my data?" not in page  # the officer reads the words on the conversation
    # ... and from the conversation to the request.
    page = officer.get(f"/help/staff/{conversation.pk}/").content.decode()
    box = page.split('id="privacy-requests"')[1].split("</section>")[0]
    assert f'href="/privacy/queue/{made.pk}/"' in box and "Delete the data" in box
    # The person sees it from their conversation too, leading to their request's page.
    page = client.get(f"/help/conversations/{conversation.pk}/").content.decode()
    assert f'href="/privacy/requests/{made.pk}/"' in page
    # A role the conversation was handed back to sees which request, not the officer's page.
    services.hand_over(conversation=conversation, to_role="after_sales")
    _, desk = staff("after_sales")
    page = desk.get(f"/help/staff/{conversation.pk}/").content.decode()
    box = page.split('id="privacy-requests"')[1].split("</section>")[0]
    assert str(made.pk)[:8] in box and "/privacy/queue/" not in box
    page = officer.get(f"/privacy/queue/{made.pk}/").content.decode()
    assert f'data-conversation="{conversation.pk}"' in page and "now with after-sales" in page


@pytest.mark.commitment("C6.6", "C6.1")
def test_a_guest_request_after_hand_over_is_linked(staff) -> None:
    order = place()
    token = guest_token(order=order)
    client = Client()
    client.post(
        f"/help/guest/{token}/",
        {"number": order.number, "action": "open", "body": "Please delete my data."},
    )
    conversation = Conversation.objects.get(order=order)
    services.hand_over(conversation=conversation, to_role="privacy_officer")
    made = SubjectRequest.objects.create(
        subject=order.subject,
        kind="access",
        via="guest",
        order_ref=order.pk,
        verified_at=timezone.now(),
    )
    assert RequestLink.objects.filter(conversation=conversation, request_id=made.pk).exists()


# --- a visitor's own request, from their conversation (C6.1, C6.6) ----------------------------

VISITOR_EMAIL = "asking.visitor@example.com"


def _visitor_conversation() -> tuple[Conversation, str]:
    from lookout.orders.testing import make_product

    mail.outbox.clear()
    visitor = visitors.start(email=VISITOR_EMAIL, ip="203.0.113.9")
    code = re.search(r"Your code is (\d{6})", str(mail.outbox[-1].body)).group(1)  # type: ignore[union-attr]
    proved = visitors.verify(visitor_id=visitor.pk, code=code)
    conversation = visitors.open_for_visitor(
        visitor=proved, product=make_product(), body="Is the mount included?"
    )
    mail.outbox.clear()
    return conversation, visitors.follow_token(conversation)


def _code(kind_word: str) -> str:
    (sent,) = mail.outbox
    assert sent.to == [VISITOR_EMAIL]
    assert kind_word in sent.body and "mount" not in sent.body  # nothing of the question
    mail.outbox.clear()
    return re.search(r"Your code is (\d{6})", str(sent.body)).group(1)  # type: ignore[union-attr]


def _challenge(page: str) -> str:
    found = re.search(r'name="challenge" value="([0-9a-f-]{36})"', page)
    assert found, page[:600]
    return found.group(1)


@pytest.mark.commitment("C6.6", "C6.1", "C6.5")
def test_a_visitor_asks_to_see_their_data_with_an_email_code(
    staff, django_capture_on_commit_callbacks
) -> None:
    conversation, token = _visitor_conversation()
    visitor_subject = conversation.visitor.subject  # type: ignore[union-attr]
    client = Client()
    page = client.get(f"/help/ask/{token}/").content.decode()
    assert f'action="/privacy/visitor/{token}/start/"' in page

    started = client.post(f"/privacy/visitor/{token}/start/", {"kind": "access"})
    assert started.status_code == 200
    challenge = _challenge(started.content.decode())
    code = _code("see the data")
    # The same check as a guest's: without the emailed code, nothing is made.
    wrong = client.post(
        f"/privacy/visitor/{token}/confirm/", {"challenge": challenge, "code": "000000"}
    )
    assert wrong.status_code == 400 and "wrong" in wrong.content.decode()
    assert not SubjectRequest.objects.filter(subject=visitor_subject).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/privacy/visitor/{token}/confirm/", {"challenge": challenge, "code": code}
        )
    assert done.status_code == 302
    follow = done["Location"]
    assert follow.startswith("/privacy/visitor/requests/")
    made = SubjectRequest.objects.get(subject=visitor_subject)
    assert made.kind == "access" and made.verified_at is not None
    assert made.due_at > timezone.now() + timedelta(days=29)  # the same due date as any request
    # The code works once.
    again = client.post(
        f"/privacy/visitor/{token}/confirm/", {"challenge": challenge, "code": code}
    )
    assert again.status_code == 400

    # The visitor follows it: status, due date, and (in the browser that typed the code) the file.
    page = client.get(follow).content.decode()
    assert "Completed" in page and 'id="section-' in page and VISITOR_EMAIL in page
    assert "Is the mount included?" in page  # their conversation is in their file
    # The link alone (another browser) shows the status, not the file.
    elsewhere = Client().get(follow).content.decode()
    assert "Completed" in elsewhere and 'id="file-needs-code"' in elsewhere
    assert VISITOR_EMAIL not in elsewhere
    # The conversation page links to it; the officer sees it and the conversation, both ways.
    # (the signed part names the request; the link's timestamp may differ by a second)
    assert follow.split(":")[0] in client.get(f"/help/ask/{token}/").content.decode()
    assert RequestLink.objects.filter(conversation=conversation, request_id=made.pk).exists()
    _, officer = staff("privacy_officer")
    assert str(made.pk) in officer.get("/privacy/queue/").content.decode() or made.status == (
        "completed"
    )
    page = officer.get(f"/privacy/queue/{made.pk}/").content.decode()
    assert f'data-conversation="{conversation.pk}"' in page and "a visitor, by email code" in page


@pytest.mark.commitment("C6.6", "C6.1", "C6.4")
def test_a_visitor_asks_to_delete_their_data_and_follows_it_past_the_erasure(staff) -> None:
    conversation, token = _visitor_conversation()
    visitor_subject = conversation.visitor.subject  # type: ignore[union-attr]
    client = Client()
    challenge = _challenge(
        client.post(f"/privacy/visitor/{token}/start/", {"kind": "deletion"}).content.decode()
    )
    code = _code("delete the data")
    done = client.post(f"/privacy/visitor/{token}/confirm/", {"challenge": challenge, "code": code})
    follow = done["Location"]
    made = SubjectRequest.objects.get(subject=visitor_subject)
    assert made.kind == "deletion" and made.is_open
    _, officer = staff("privacy_officer")
    queue = officer.get("/privacy/queue/").content.decode()
    assert str(made.pk) in queue
    page = officer.get(f"/privacy/queue/{made.pk}/").content.decode()
    assert f'data-conversation="{conversation.pk}"' in page
    # The officer approves: the visitor, their email and their conversation are gone ...
    officer.post(f"/privacy/queue/{made.pk}/approve/")
    made.refresh_from_db()
    assert made.status == "completed"
    assert not Visitor.objects.filter(subject=visitor_subject).exists()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert Client().get(f"/help/ask/{token}/").status_code == 404
    # ... and the request's own link still tells them it was done, with the certificate.
    page = Client().get(follow).content.decode()
    assert "Completed" in page and 'class="certificate-reference"' in page


def test_visitor_request_refusals_are_4xx_and_codes_are_limited() -> None:
    _conversation, token = _visitor_conversation()
    client = Client()
    assert client.post(f"/privacy/visitor/{token}/start/", {"kind": "nonsense"}).status_code == 400
    # correction is not offered: a visitor's only data is their email and the conversation
    assert client.post(f"/privacy/visitor/{token}/start/", {"kind": "correction"}).status_code == (
        400
    )
    assert client.post(f"/privacy/visitor/{token}x/start/", {"kind": "access"}).status_code == 404
    assert client.get("/privacy/visitor/requests/not-a-token/").status_code == 404
    assert client.get(f"/privacy/visitor/{token}/start/").status_code == 405
    # A code for one conversation does not work for another's link.
    _other, other_token = _visitor_conversation()
    challenge = _challenge(
        client.post(f"/privacy/visitor/{token}/start/", {"kind": "access"}).content.decode()
    )
    code = _code("see the data")
    crossed = client.post(
        f"/privacy/visitor/{other_token}/confirm/", {"challenge": challenge, "code": code}
    )
    assert crossed.status_code == 400
    # Code requests per visitor are limited (LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 5 in tests).
    statuses = [
        client.post(f"/privacy/visitor/{token}/start/", {"kind": "access"}).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429
    assert 429 not in statuses[:4]
