"""Notices that reach people (issue 23, item 6): a signed-in customer who chose it in the
account centre gets an email when a new message waits. The email goes through Django's SMTP
backend to a real SMTP server the test starts, and says only that a message waits, with a link
to sign in: no order, no product, no word of the message. Nothing personal in the mail log."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lookout.access import reveal
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders.testing import place
from lookout.support import notices
from lookout.support.models import Conversation, NoticeChoice
from lookout.support.tests.smtp import body_of, smtp_server
from lookout.testing.ports import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

QUESTION = "Is the walnut desk lamp compatible with 110 V?"
ANSWER = "Yes, the walnut lamp works on 110 V and 230 V."


def _conversation(client, order) -> Conversation:
    client.post(
        "/help/conversations/new/", {"topic": "order", "order": order.number, "body": QUESTION}
    )
    return Conversation.objects.get(order=order)


def test_chosen_notice_arrives_over_smtp_without_personal_content(
    customer, staff, caplog, django_capture_on_commit_callbacks
):
    user, client = customer()
    email = str(reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"])
    order = place(user=user)
    assert "checked" not in client.get("/help/notices/").content.decode()  # off until chosen
    saved = client.post("/help/notices/", {"email_on_message": "on"})
    assert saved.status_code == 200 and NoticeChoice.objects.get(subject=user.subject)
    conversation = _conversation(client, order)
    _, desk = staff("after_sales")

    caplog.set_level(logging.DEBUG)
    with smtp_server() as received, django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": ANSWER})

    ((recipients, mail),) = received.mails
    assert recipients == [email]
    text = f"{mail['Subject']}\n{body_of(mail)}"
    assert mail["Subject"] == notices.NOTICE_SUBJECT
    assert "/accounts/login/?next=/inbox/" in text
    for secret in (order.number, "walnut", "110 V", QUESTION, ANSWER):
        assert secret not in text
    # The log says a notice went out, for a pseudonymous subject, never to whom.
    assert any("notice email sent" in r.getMessage() for r in caplog.records)
    assert all(email not in r.getMessage() for r in caplog.records)


def test_no_email_unless_chosen_and_none_after_turning_it_off(
    customer, staff, django_capture_on_commit_callbacks
):
    user, client = customer()
    order = place(user=user)
    conversation = _conversation(client, order)
    _, desk = staff("after_sales")
    with smtp_server() as received, django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": "one"})
        client.post("/help/notices/", {"email_on_message": "on"})
        client.post("/help/notices/", {})  # unticked: off again
        desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": "two"})
    assert received.mails == []
    assert Message.objects.filter(subject=user.subject, kind="account").count() == 2


def test_any_new_inbox_message_is_announced_not_only_answers(
    customer, django_capture_on_commit_callbacks
):
    """An order's own messages wait in the inbox too: the person chose to hear of any."""
    user, client = customer()
    client.post("/help/notices/", {"email_on_message": "on"})
    with smtp_server() as received, django_capture_on_commit_callbacks(execute=True):
        order = place(user=user)
    assert Message.objects.filter(subject=user.subject, kind="order_update").exists()
    ((_, mail),) = received.mails
    assert order.number not in body_of(mail) and order.number not in str(mail["Subject"])


def test_a_guest_checkout_asks_nobody_about_notices(django_capture_on_commit_callbacks):
    """A guest's order is under a key created for it: nobody can have chosen notices for it,
    so placing it reads no choice (one read fewer on every guest checkout). Its message is
    in the inbox all the same."""
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        order = place()
    assert Message.objects.filter(subject=order.subject, kind="order_update").exists()
    assert all("support_noticechoice" not in q["sql"] for q in queries.captured_queries)
    assert all(getattr(c, "func", None) is not notices.announce for c in callbacks)


def test_a_guest_is_told_an_answer_waits_without_the_order_number(
    staff, django_capture_on_commit_callbacks
):
    from django.test import Client

    from lookout.orders.guest import guest_token
    from lookout.orders.testing import GUEST_EMAIL

    order = place()
    token = guest_token(order=order)
    Client().post(
        f"/help/guest/{token}/",
        {"number": order.number, "action": "open", "body": QUESTION},
    )
    conversation = Conversation.objects.get(order=order)
    _, desk = staff("after_sales")
    with smtp_server() as received, django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": ANSWER})
    ((recipients, mail),) = received.mails
    assert recipients == [GUEST_EMAIL]
    text = body_of(mail)
    # the signed link to this order (its timestamp may differ from ours by a second)
    assert f"/help/guest/{token.split(':')[0]}:" in text
    for secret in (order.number, "walnut", QUESTION, ANSWER):
        assert secret not in text and secret not in str(mail["Subject"])
    assert Message.objects.filter(subject=order.subject, kind="account").exists()


def test_a_mail_server_that_is_down_loses_nothing_and_logs_no_address(
    customer, staff, settings, caplog, django_capture_on_commit_callbacks
):
    user, client = customer()
    email = str(reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"])
    client.post("/help/notices/", {"email_on_message": "on"})
    conversation = _conversation(client, place(user=user))
    _, desk = staff("after_sales")
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        reply = desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": ANSWER})
    assert reply.status_code == 302
    assert Message.objects.filter(subject=user.subject).exists()
    assert any("notice email failed" in r.getMessage() for r in caplog.records)
    assert all(email not in r.getMessage() for r in caplog.records)
    assert all(email not in (r.exc_text or "") for r in caplog.records)


def test_account_centre_links_to_the_choice(customer):
    _, client = customer()
    assert 'href="/help/notices/"' in client.get("/accounts/").content.decode()
