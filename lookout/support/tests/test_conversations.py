"""Conversations between a signed-in customer and the store's staff (issue 23, item 2): opening
one about an order or in general, after-sales answering from a queue with a first-reply due
day in business days, replies in the person's inbox, internal notes, closing, reopening and
hand-over; and nobody reaching a conversation that is not theirs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from lookout.access import reveal
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders.testing import place
from lookout.support import services
from lookout.support.models import Conversation, Post, State
from lookout.vault.crypto import Sealed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

QUESTION = "Will the blue one arrive before Friday? I am at 7 Elm Street until then."
ANSWER = "Yes: it leaves our warehouse tomorrow morning and arrives on Thursday."


def _open(client: Client, **data: str) -> Conversation:
    response = client.post("/help/conversations/new/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    found = re.search(r"/help/conversations/([0-9a-f-]{36})/", response["Location"])
    assert found
    return Conversation.objects.get(pk=found.group(1))


@pytest.mark.commitment("C1.9", "C3.3", "C4.4")
def test_customer_asks_about_an_order_and_after_sales_answers(customer, staff) -> None:
    user, client = customer()
    order = place(user=user)
    conversation = _open(client, topic="order", order=order.number, body=QUESTION)
    assert conversation.order == order and conversation.subject == user.subject
    assert conversation.role == "after_sales" and conversation.state == State.WAITING_FOR_US

    clerk, desk = staff("after_sales")
    queue = desk.get("/help/staff/").content.decode()
    assert f"order {order.number}" in queue and QUESTION not in queue  # no words in the queue
    page = desk.get(f"/help/staff/{conversation.pk}/")
    assert QUESTION in page.content.decode()
    read = AuditEntry.objects.filter(action="reveal", actor_ref=str(clerk.subject)).last()
    assert read is not None and read.purpose == Purpose.AFTER_SALES

    assert (
        desk.post(
            f"/help/staff/{conversation.pk}/", {"action": "reply", "body": ANSWER}
        ).status_code
        == 302
    )
    conversation.refresh_from_db()
    assert conversation.state == State.ANSWERED and conversation.first_reply_at is not None

    # The answer is in the customer's inbox and in the conversation, where they answer back.
    message = Message.objects.get(subject=user.subject, title__isnull=False, kind="account")
    words = reveal(message, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=user)
    assert order.number in str(words["title"]) and ANSWER in str(words["body"])
    assert ANSWER in client.get(f"/help/conversations/{conversation.pk}/").content.decode()
    client.post(f"/help/conversations/{conversation.pk}/", {"action": "write", "body": "Thanks!"})
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_FOR_US
    assert conversation.posts.count() == 3


def test_general_question_and_the_list_of_ones_own(customer) -> None:
    _user, client = customer()
    conversation = _open(client, topic="general", body="Do you ship gift wrapping?")
    assert conversation.order is None and conversation.topic == "general"
    listing = client.get("/help/conversations/").content.decode()
    assert f"/help/conversations/{conversation.pk}/" in listing


def test_words_are_sealed_under_the_persons_key(customer) -> None:
    _user, client = customer()
    conversation = _open(client, topic="general", body=QUESTION)
    stored = Post.objects.get(conversation=conversation)
    assert isinstance(stored.body, Sealed)
    assert QUESTION.encode() not in stored.body.blob


def test_nobody_else_reaches_a_conversation(customer, staff) -> None:
    owner, client = customer()
    order = place(user=owner)
    conversation = _open(client, topic="order", order=order.number, body=QUESTION)
    _, stranger = customer()
    assert stranger.get(f"/help/conversations/{conversation.pk}/").status_code == 404
    refused = stranger.post(
        f"/help/conversations/{conversation.pk}/", {"action": "write", "body": "hijack"}
    )
    assert refused.status_code == 404
    # Nor may one ask about someone else's order: the order list is one's own.
    response = stranger.post(
        "/help/conversations/new/", {"topic": "order", "order": order.number, "body": "hi"}
    )
    assert response.status_code == 400 and "one of your orders" in response.content.decode()
    # Anonymous visitors are sent to sign in; other staff roles do not see the queue.
    assert Client().get(f"/help/conversations/{conversation.pk}/").status_code == 302
    _, warehouse = staff("warehouse")
    assert warehouse.get("/help/staff/").status_code == 404
    assert warehouse.get(f"/help/staff/{conversation.pk}/").status_code == 404
    assert conversation.posts.count() == 1


def test_refusals_are_4xx_with_a_reason(customer) -> None:
    _, client = customer()
    empty = client.post("/help/conversations/new/", {"topic": "general", "body": "  "})
    assert empty.status_code == 400 and "write your message" in empty.content.decode()
    long = client.post("/help/conversations/new/", {"topic": "general", "body": "x" * 5001})
    assert long.status_code == 400 and "at most 5000" in long.content.decode()
    odd = client.post("/help/conversations/new/", {"topic": "weather", "body": "hello"})
    assert odd.status_code == 400
    assert Conversation.objects.count() == 0


def test_csrf_is_checked_for_signed_in_customers(customer) -> None:
    user, _ = customer()
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(user)
    response = forged.post("/help/conversations/new/", {"topic": "general", "body": "hello"})
    assert response.status_code == 403
    assert Conversation.objects.count() == 0


@override_settings(LOOKOUT_SUPPORT_OPEN_LIMIT=2)
def test_opening_is_rate_limited_per_network(customer) -> None:
    _, client = customer()
    for _ in range(2):
        _open(client, topic="general", body="hello")
    third = client.post("/help/conversations/new/", {"topic": "general", "body": "hello"})
    assert third.status_code == 429 and "Too many new conversations" in third.content.decode()
    assert Conversation.objects.count() == 2


@pytest.mark.commitment("C1.9")
def test_first_reply_is_due_in_business_days() -> None:
    friday = date(2026, 12, 4)
    assert services.first_reply_due(friday) == date(2026, 12, 7)  # Monday
    with override_settings(LOOKOUT_SUPPORT_REPLY_DAYS=3):
        assert services.first_reply_due(friday) == date(2026, 12, 9)
    with override_settings(LOOKOUT_WAREHOUSE_HOLIDAYS=["2026-12-07"]):
        assert services.first_reply_due(friday) == date(2026, 12, 8)


@pytest.mark.commitment("C1.9")
def test_overdue_conversations_are_flagged_to_the_role_holding_them(customer, staff) -> None:
    _user, client = customer()
    late = _open(client, topic="general", body="Hello?")
    on_time = _open(client, topic="general", body="And this?")
    Conversation.objects.filter(pk=late.pk).update(
        first_reply_due=timezone.localdate() - timedelta(days=1)
    )
    _, desk = staff("after_sales")
    queue = desk.get("/help/staff/").content.decode()
    assert "1 conversation overdue" in queue
    late_row = queue.split(f'data-conversation="{late.pk}"')[1].split("</tr>")[0]
    on_time_row = queue.split(f'data-conversation="{on_time.pk}"')[1].split("</tr>")[0]
    assert "overdue" in late_row and "overdue" not in on_time_row
    # Answered, it is no longer overdue.
    desk.post(f"/help/staff/{late.pk}/", {"action": "reply", "body": "Here we are."})
    assert "overdue for a first answer" not in desk.get("/help/staff/").content.decode()


def test_internal_notes_stay_with_staff(customer, staff) -> None:
    user, client = customer()
    conversation = _open(client, topic="general", body=QUESTION)
    _, desk = staff("after_sales")
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "note", "body": "Sounds annoyed"})
    assert "Sounds annoyed" in desk.get(f"/help/staff/{conversation.pk}/").content.decode()
    assert (
        "Sounds annoyed"
        not in client.get(f"/help/conversations/{conversation.pk}/").content.decode()
    )
    assert not Message.objects.filter(subject=user.subject).exists()  # a note sends nothing


def test_closing_and_reopening(customer, staff) -> None:
    _user, client = customer()
    conversation = _open(client, topic="general", body=QUESTION)
    client.post(f"/help/conversations/{conversation.pk}/", {"action": "close"})
    conversation.refresh_from_db()
    assert conversation.state == State.CLOSED and conversation.closed_at is not None
    refused = client.post(
        f"/help/conversations/{conversation.pk}/", {"action": "write", "body": "more"}
    )
    assert refused.status_code == 409 and "Reopen it" in refused.content.decode()
    _, desk = staff("after_sales")
    assert "No open conversations" in desk.get("/help/staff/").content.decode()
    client.post(f"/help/conversations/{conversation.pk}/", {"action": "reopen"})
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_FOR_US and conversation.closed_at is None


@pytest.mark.commitment("C6.6", "C4.3")
def test_hand_over_to_the_privacy_officer(customer, staff) -> None:
    _user, client = customer()
    conversation = _open(client, topic="general", body="Please delete everything you have on me.")
    _clerk, desk = staff("after_sales")
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "handover", "to": "privacy_officer"})
    conversation.refresh_from_db()
    assert conversation.role == "privacy_officer"
    assert desk.get(f"/help/staff/{conversation.pk}/").status_code == 404  # not theirs now
    officer, privacy = staff("privacy_officer")
    page = privacy.get(f"/help/staff/{conversation.pk}/")
    assert "delete everything" in page.content.decode()
    read = AuditEntry.objects.filter(action="reveal", actor_ref=str(officer.subject)).last()
    assert read is not None and read.purpose == Purpose.SUBJECT_REQUEST
    bad = privacy.post(f"/help/staff/{conversation.pk}/", {"action": "handover", "to": "warehouse"})
    assert bad.status_code == 400


def test_staff_search_by_order_number_and_exact_email(customer, staff) -> None:
    user, client = customer()
    order = place(user=user)
    conversation = _open(client, topic="order", order=order.number, body=QUESTION)
    other = _open(client, topic="general", body="another")
    _, desk = staff("after_sales")
    by_number = desk.post("/help/staff/search/", {"number": order.number.lower()})
    text = by_number.content.decode()
    assert str(conversation.pk) in text and str(other.pk) not in text
    email = reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"]
    by_email = desk.post("/help/staff/search/", {"email": str(email).upper()}).content.decode()
    assert str(conversation.pk) in by_email and str(other.pk) in by_email
    searched = AuditEntry.objects.filter(action="support.email_search").get()
    assert searched.subject_ref == str(user.subject) and searched.purpose == Purpose.AFTER_SALES
    desk.post("/help/staff/search/", {"email": "nobody@example.com"})
    assert AuditEntry.objects.filter(action="support.email_search").count() == 2
    # Message text is not searchable, and an empty search says what to type.
    assert (
        str(conversation.pk)
        not in desk.post("/help/staff/search/", {"number": "Elm Street"}).content.decode()
    )
    assert desk.post("/help/staff/search/", {}).status_code == 400


def test_the_back_office_links_to_the_queue_for_the_roles_that_answer(staff) -> None:
    for role in ("after_sales", "finance", "privacy_officer"):
        _, client = staff(role)
        page = client.get("/staff/", follow=True).content.decode()
        assert 'href="/help/staff/"' in page, role
    _, warehouse = staff("warehouse")
    assert 'href="/help/staff/"' not in warehouse.get("/staff/", follow=True).content.decode()


@pytest.mark.commitment("C1.9")
def test_a_question_about_a_product_before_buying(customer, staff) -> None:
    from lookout.orders.testing import make_product

    user, client = customer()
    item = make_product()
    product_page = client.get(item.get_absolute_url()).content.decode()
    assert f'href="/help/ask/?product={item.sku}"' in product_page
    # a signed-in customer asking from there gets their own form
    asked = client.get(f"/help/ask/?product={item.sku}")
    assert asked["Location"] == f"/help/conversations/new/?product={item.sku}"
    form = client.get(f"/help/conversations/new/?product={item.sku}").content.decode()
    assert 'value="product" checked' in form and item.name in form
    conversation = _open(client, topic="product", product=item.sku, body="Does it work at -20 C?")
    assert conversation.product == item and conversation.order is None
    _, desk = staff("after_sales")
    assert f"product {item.sku}" in desk.get("/help/staff/").content.decode()
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": "Down to -30 C."})
    message = Message.objects.get(subject=user.subject, kind="account")
    title = reveal(message, ["title"], purpose=Purpose.SELF_SERVICE, actor=user)["title"]
    assert title == f"We answered your question about {item.name}"
    unknown = client.post(
        "/help/conversations/new/", {"topic": "product", "product": "NOPE-1", "body": "hi"}
    )
    assert unknown.status_code == 400 and "no such product" in unknown.content.decode()
