"""A guest asks about their order with the emailed order link and the order number (issue 23,
item 2): both are needed for anything, wrong numbers are counted against the network, and a
guest reaches only their own order's conversations."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from lookout.orders.guest import guest_token
from lookout.orders.testing import place
from lookout.support.models import Conversation, State

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

QUESTION = "Can you deliver to my neighbour at number 9 instead?"


def _ask(client: Client, token: str, number: str, body: str = QUESTION):
    return client.post(f"/help/guest/{token}/", {"number": number, "action": "open", "body": body})


@pytest.mark.commitment("C1.9")
def test_guest_asks_and_reads_the_answer_with_link_and_number(staff) -> None:
    order = place()
    token = guest_token(order=order)
    client = Client()  # no cookies needed beyond the link and the number
    assert "Order number" in client.get(f"/help/guest/{token}/").content.decode()

    asked = _ask(client, token, order.number.lower())
    assert asked.status_code == 200 and "Your question is with us" in asked.content.decode()
    conversation = Conversation.objects.get(order=order)
    assert conversation.guest and conversation.subject == order.subject

    _, desk = staff("after_sales")
    assert "(guest)" in desk.get("/help/staff/").content.decode()
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": "Yes, we can."})

    page = client.post(f"/help/guest/{token}/", {"number": order.number}).content.decode()
    assert QUESTION in page and "Yes, we can." in page
    # The answer is also on the guest's order page, under Messages.
    order_page = client.post(f"/orders/guest/{token}/", {"number": order.number})
    assert "Yes, we can." in order_page.content.decode()

    client.post(
        f"/help/guest/{token}/",
        {
            "number": order.number,
            "action": "write",
            "conversation": str(conversation.pk),
            "body": "Thank you",
        },
    )
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_FOR_US and conversation.posts.count() == 3
    client.post(
        f"/help/guest/{token}/",
        {"number": order.number, "action": "close", "conversation": str(conversation.pk)},
    )
    conversation.refresh_from_db()
    assert conversation.state == State.CLOSED


def test_link_or_number_alone_shows_nothing() -> None:
    order = place()
    _ask(Client(), guest_token(order=order), order.number)
    wrong_number = _ask(Client(), guest_token(order=order), "LK-WRONG123")
    assert wrong_number.status_code == 404
    assert QUESTION not in wrong_number.content.decode()
    forged = _ask(Client(), "not-a-signed-link", order.number)
    assert forged.status_code == 404
    assert Conversation.objects.count() == 1


def test_a_guest_reaches_only_their_own_orders_conversations() -> None:
    mine, theirs = place(), place()
    _ask(Client(), guest_token(order=theirs), theirs.number, body="Their private question")
    other = Conversation.objects.get(order=theirs)
    token = guest_token(order=mine)
    page = Client().post(f"/help/guest/{token}/", {"number": mine.number}).content.decode()
    assert "Their private question" not in page
    refused = Client().post(
        f"/help/guest/{token}/",
        {"number": mine.number, "action": "write", "conversation": str(other.pk), "body": "x"},
    )
    assert refused.status_code == 404
    assert other.posts.count() == 1
    # A signed-in customer's conversation about the same order is not the guest's either.
    assert Conversation.objects.filter(order=mine).count() == 0


@override_settings(LOOKOUT_LOGIN_LIMIT_PER_IP=3)
def test_wrong_numbers_are_counted_against_the_network() -> None:
    order = place()
    token = guest_token(order=order)
    client = Client()
    for _ in range(3):
        assert _ask(client, token, "LK-GUESS000").status_code == 404
    refused = _ask(client, token, order.number)  # even the right number, until the window ends
    assert refused.status_code == 429 and "Too many" in refused.content.decode()
    assert Conversation.objects.count() == 0


def test_empty_question_is_refused_with_a_reason() -> None:
    order = place()
    response = _ask(Client(), guest_token(order=order), order.number, body="")
    assert response.status_code == 400 and "write your message" in response.content.decode()
    assert Conversation.objects.count() == 0
