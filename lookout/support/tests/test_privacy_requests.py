"""A privacy request made through customer service (issue 23, item 3; C6.6): after-sales hands
the conversation to the privacy officer, the person is pointed to the request form, and the
request they make there passes the same identity check as any other (C6.1: the password again
for an account, a one-time code to the order's email for a guest) and lands in the privacy
officer's queue with its own due date."""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.orders.guest import guest_token
from lookout.orders.testing import place
from lookout.privacy.models import SubjectRequest
from lookout.support import services
from lookout.support.models import Conversation

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
