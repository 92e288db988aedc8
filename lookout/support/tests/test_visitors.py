"""A visitor asks about a product before buying, without an account (issue 23, item 2): they
prove control of an email with a one-time code (sent over SMTP to a real server the test
starts), then follow the conversation through a signed link; the code is limited, guessing is
counted, nothing tells whether an address is known, and the emails carry no personal content."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from lookout.orders.testing import make_product
from lookout.privacy.erasure import erase_subject
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.support.models import Conversation, Post, Visitor
from lookout.support.tests.smtp import body_of, smtp_server
from lookout.vault.crypto import Sealed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

EMAIL = "curious.visitor@example.com"
QUESTION = "Does the doorbell chime work with my old transformer at 16 V?"


def _ask(client: Client, product, email: str = EMAIL):
    return client.post("/help/ask/", {"product": product.sku, "body": QUESTION, "email": email})


def _visitor_id(page: str) -> str:
    found = re.search(r'name="visitor" value="([0-9a-f-]{36})"', page)
    assert found, page[:400]
    return found.group(1)


def _code_from(text: str) -> str:
    found = re.search(r"Your code is (\d{6})", text)
    assert found
    return found.group(1)


@pytest.mark.commitment("C1.9", "C2.2")
def test_visitor_proves_email_over_smtp_asks_and_follows_the_answer(staff) -> None:
    item = make_product()
    client = Client()
    assert client.get(f"/help/ask/?product={item.sku}").status_code == 200
    with smtp_server() as received:
        page = _ask(client, item).content.decode()
        visitor_id = _visitor_id(page)
        ((recipients, code_mail),) = received.mails
        assert recipients == [EMAIL]
        code = _code_from(body_of(code_mail))
        assert item.name not in body_of(code_mail) and "16 V" not in body_of(code_mail)
        done = client.post(
            "/help/ask/",
            {"product": item.sku, "body": QUESTION, "visitor": visitor_id, "code": code},
        )
        assert done.status_code == 302
        follow = done["Location"]
        conversation = Conversation.objects.get(product=item)
        assert conversation.visitor_id is not None
        assert QUESTION in client.get(follow).content.decode()
        # the link was emailed too, with nothing else
        (_, link_mail) = received.mails[1]
        # (the signed part names the conversation; its timestamp may differ by a second)
        named = follow.split(":")[0]
        assert named in body_of(link_mail) and "16 V" not in body_of(link_mail)

        _, desk = staff("after_sales")
        desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": "It works."})
        (_, answer_mail) = received.mails[2]
        assert named in body_of(answer_mail) and "It works" not in body_of(answer_mail)
    assert "It works." in Client().get(follow).content.decode()  # the link alone is enough
    Client().post(follow, {"action": "write", "body": "Thanks"})
    assert conversation.posts.count() == 3
    # sealed: the question is not in the stored bytes of its row
    stored = Post.objects.filter(conversation=conversation).first()
    assert stored is not None and isinstance(stored.body, Sealed)
    assert QUESTION.encode() not in stored.body.blob
    # staff find it by the exact email
    assert (
        str(conversation.pk)
        in desk.post("/help/staff/search/", {"email": EMAIL.upper()}).content.decode()
    )


def test_a_wrong_code_opens_nothing_and_the_code_wears_out() -> None:
    item = make_product()
    client = Client()
    visitor_id = _visitor_id(_ask(client, item).content.decode())
    code = _code_from(str(mail.outbox[-1].body))
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        refused = client.post(
            "/help/ask/",
            {"product": item.sku, "body": QUESTION, "visitor": visitor_id, "code": wrong},
        )
        assert refused.status_code == 400 and "wrong or no longer works" in refused.content.decode()
    worn_out = client.post(
        "/help/ask/", {"product": item.sku, "body": QUESTION, "visitor": visitor_id, "code": code}
    )
    assert worn_out.status_code in (400, 429)
    assert Conversation.objects.count() == 0


@override_settings(LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT=2)
def test_code_requests_are_limited_per_address() -> None:
    item = make_product()
    for _ in range(2):
        assert _ask(Client(), item).status_code == 200
    refused = _ask(Client(), item)
    assert refused.status_code == 429 and "Too many code requests" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_tampered_or_unknown_links_show_nothing() -> None:
    assert Client().get("/help/ask/not-a-link/").status_code == 404
    assert Client().get("/help/ask/?product=NOPE").status_code == 404


@pytest.mark.commitment("C4.6", "C6.4")
def test_unproved_visitors_go_after_a_day_and_erasure_takes_everything() -> None:
    item = make_product()
    _ask(Client(), item)
    visitor = Visitor.objects.get()
    rule = rule_named("support.unproved_visitors")
    assert run_rule(rule=rule, now=timezone.now() + timedelta(hours=23)).processed == 0
    assert run_rule(rule=rule, now=timezone.now() + timedelta(days=2)).processed == 1
    assert not Visitor.objects.filter(pk=visitor.pk).exists()

    client = Client()
    visitor_id = _visitor_id(_ask(client, item).content.decode())
    code = _code_from(str(mail.outbox[-1].body))
    client.post(
        "/help/ask/", {"product": item.sku, "body": QUESTION, "visitor": visitor_id, "code": code}
    )
    subject = Visitor.objects.get(pk=visitor_id).subject
    assert erase_subject(subject=subject)["support.conversations"] >= 2
    assert not Visitor.objects.filter(subject=subject).exists()
    assert not Conversation.objects.filter(subject=subject).exists()
