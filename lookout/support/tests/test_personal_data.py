"""Conversations are personal data like everywhere else (issue 23, item 5): sealed at rest, in
the person's access file, erased with the person, deleted after their declared retention period,
and read by staff only through the gate with a purpose (C2.2, C3.3, C4.2, C4.4, C4.6, C6.2,
C6.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lookout.access import AccessDenied, reveal
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.core.inventory import declaration
from lookout.core.purposes import Purpose
from lookout.orders.testing import place
from lookout.privacy.access_file import build_document
from lookout.privacy.erasure import erase_subject
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.support import services
from lookout.support.models import Conversation, NoticeChoice, Post
from lookout.support.personal_data import SUPPORT_RETENTION
from lookout.testing.raw import raw_database_bytes

QUESTION = "My neighbour Mrs Quill signed for the parcel at flat 4B."
WORDS = ("Mrs Quill signed", "flat 4B")
NOTE = "Customer sounded worried about flat 4B."


def _section(subject) -> dict:
    document = build_document(subject=subject)
    (section,) = [s for s in document["sections"] if s["name"] == "conversations"]
    return section["data"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("partners", "policies", "audit_triggers_suspended")
@pytest.mark.commitment("C4.2", "C6.2", "C6.4")
def test_sealed_in_the_access_file_and_gone_after_erasure(customer, staff) -> None:
    user, client = customer()
    order = place(user=user)
    client.post(
        "/help/conversations/new/", {"topic": "order", "order": order.number, "body": QUESTION}
    )
    conversation = Conversation.objects.get(subject=user.subject)
    _agent, desk = staff(Role.AFTER_SALES)
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "note", "body": NOTE})
    desk.post(f"/help/staff/{conversation.pk}/", {"action": "reply", "body": "We will check."})
    services.set_notice_choice(subject=user.subject, email_on_message=True)
    # the words are nowhere in the stored bytes of either database
    raw = raw_database_bytes()
    for words in WORDS:
        assert words.encode() not in raw
    # the access file shows the whole conversation back, staff named by team only
    data = _section(user.subject)
    assert data["email_when_a_message_waits"] is True
    (thread,) = data["conversations"]
    assert thread["about"] == order.number
    assert [(m["kind"], m["text"]) for m in thread["messages"]] == [
        ("customer", QUESTION),
        ("note", NOTE),
        ("staff", "We will check."),
    ]
    assert [m["by"] for m in thread["messages"]] == ["You", "After-sales", "After-sales"]
    # erased with the person: rows gone, and the key that sealed them destroyed
    counts = erase_subject(subject=user.subject)
    assert counts["support.conversations"] >= 1
    assert not Conversation.objects.filter(subject=user.subject).exists()
    assert not Post.objects.filter(subject=user.subject).exists()
    assert not NoticeChoice.objects.filter(subject=user.subject).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C4.6")
def test_deleted_two_years_after_closing_or_going_quiet(customer) -> None:
    user, _ = customer()
    closed = services.open_conversation(subject=user.subject, topic="general", body="a")
    services.close(conversation=closed)
    quiet = services.open_conversation(subject=user.subject, topic="general", body="b")
    assert SUPPORT_RETENTION.period == timedelta(days=2 * 365)
    assert declaration(Post, "body").retention == SUPPORT_RETENTION
    rule = rule_named("support.conversations")
    soon = timezone.now() + SUPPORT_RETENTION.period - timedelta(days=1)
    assert run_rule(rule=rule, now=soon).processed == 0
    later = timezone.now() + SUPPORT_RETENTION.period + timedelta(days=1)
    assert run_rule(rule=rule, now=later).processed == 2
    assert not Conversation.objects.filter(pk__in=[closed.pk, quiet.pk]).exists()
    assert not Post.objects.filter(subject=user.subject).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C4.3", "C4.4")
def test_staff_read_only_through_the_gate_for_their_roles_purpose(customer, staff) -> None:
    user, _ = customer()
    conversation = services.open_conversation(subject=user.subject, topic="general", body=QUESTION)
    post = conversation.posts.get()
    agent, _ = staff(Role.AFTER_SALES)
    assert reveal(post, ["body"], purpose=Purpose.AFTER_SALES, actor=agent)["body"] == QUESTION
    for role, purpose in (
        (Role.AFTER_SALES, Purpose.MARKETING),
        (Role.WAREHOUSE, Purpose.FULFILMENT),
        (Role.ADMINISTRATOR, Purpose.ACCOUNT_SECURITY),
        (Role.CATALOG_MANAGER, Purpose.AFTER_SALES),
    ):
        other, _ = staff(role)
        with pytest.raises(AccessDenied):
            reveal(post, ["body"], purpose=purpose, actor=other)
        refused = AuditEntry.objects.filter(actor_ref=str(other.subject), action="reveal.refused")
        assert refused.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
def test_guests_conversation_goes_with_their_order_key(staff) -> None:
    order = place()
    from lookout.orders.guest import guest_token

    Client().post(
        f"/help/guest/{guest_token(order=order)}/",
        {"number": order.number, "action": "open", "body": QUESTION},
    )
    assert Conversation.objects.filter(subject=order.subject).count() == 1
    assert erase_subject(subject=order.subject)["support.conversations"] >= 1
    assert not Conversation.objects.filter(subject=order.subject).exists()
