"""Writes on customer-service conversations (issue 23). Views call only these.

Every message body is sealed under the person's data key on save (vault fields); nothing here
logs or mails a word of it. A staff reply lands in the person's inbox (and, for a guest, on their
order page, which shows the guest's inbox), and a signed-in customer who asked for it gets an
email that says only that a message waits (`notices`).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lookout.access.roles import Role
from lookout.core.errors import Conflict, LookoutError
from lookout.inbox.services import send_message
from lookout.shipping.calendar import add_business_days
from lookout.support.models import (
    Author,
    Conversation,
    NoticeChoice,
    Post,
    PublicQuestion,
    RequestLink,
    State,
    Topic,
)

BODY_MAX = 5000
# Roles a conversation may be handed to: after-sales answers; finance for a refund question,
# the privacy officer for a privacy question.
HANDOVER_ROLES = (Role.AFTER_SALES, Role.FINANCE, Role.PRIVACY_OFFICER)
# Which purpose each role reads a conversation for (the gate checks the role x purpose cell).
PURPOSE_OF_ROLE = {
    Role.AFTER_SALES: "after_sales",
    Role.FINANCE: "refund",
    Role.PRIVACY_OFFICER: "subject_request",
}


class InvalidMessage(LookoutError):
    """The message is empty or too long; the person is told which."""


def reply_days() -> int:
    return max(0, int(getattr(settings, "LOOKOUT_SUPPORT_REPLY_DAYS", 1)))


def first_reply_due(opened_on: date) -> date:
    """The business day (warehouse calendar) by which a new conversation gets its first answer:
    `LOOKOUT_SUPPORT_REPLY_DAYS` business days after the day it was opened (C1.9)."""
    return add_business_days(opened_on, reply_days())


def clean_body(body: Any) -> str:
    text = str(body or "").replace("\x00", "").strip()
    if not text:
        raise InvalidMessage("Please write your message.")
    if len(text) > BODY_MAX:
        raise InvalidMessage(f"A message can have at most {BODY_MAX} characters.")
    return text


def open_conversation(
    *,
    subject: uuid.UUID,
    topic: str,
    body: Any,
    order: Any = None,
    product: Any = None,
    guest: bool = False,
    publish_ok: bool = False,
) -> Conversation:
    """A new conversation with its first message, in the after-sales queue, due for a first
    answer by `first_reply_due`."""
    text = clean_body(body)
    if topic not in Topic.values:
        raise InvalidMessage("Please choose what your question is about.")
    if topic == Topic.ORDER and order is None:
        raise InvalidMessage("Please choose the order your question is about.")
    if topic == Topic.PRODUCT and product is None:
        raise InvalidMessage("Please choose the product your question is about.")
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            subject=subject,
            topic=topic,
            order=order if topic == Topic.ORDER else None,
            product=product if topic == Topic.PRODUCT else None,
            guest=guest,
            publish_ok=bool(publish_ok and topic == Topic.PRODUCT),
            role=Role.AFTER_SALES,
            opened_at=now,
            last_message_at=now,
            first_reply_due=first_reply_due(timezone.localdate(now)),
        )
        Post.objects.create(
            subject=subject, conversation=conversation, author=Author.CUSTOMER, body=text, at=now
        )
        # After-sales staff who chose it are told a conversation waits (no word of it).
        from lookout.support.staff_alerts import alert_waiting_after_commit

        alert_waiting_after_commit(conversation.pk)
    return conversation


def customer_writes(*, conversation: Conversation, body: Any) -> Post:
    """The person answers; the conversation waits for us again."""
    text = clean_body(body)
    if conversation.state == State.CLOSED:
        raise Conflict("This conversation is closed. Reopen it to write again.")
    now = timezone.now()
    with transaction.atomic():
        post = Post.objects.create(
            subject=conversation.subject,
            conversation=conversation,
            author=Author.CUSTOMER,
            body=text,
            at=now,
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            state=State.WAITING_FOR_US, last_message_at=now
        )
    conversation.refresh_from_db()
    return post


def _reply_title(conversation: Conversation) -> str:
    if conversation.order_id is not None:
        return f"We answered your question about order {conversation.order.number}"  # type: ignore[union-attr]
    if conversation.product_id is not None:
        return f"We answered your question about {conversation.product.name}"[:200]  # type: ignore[union-attr]
    return "We answered your question"


def conversation_path(conversation: Conversation) -> str:
    return reverse("support:conversation", args=[conversation.pk])


def staff_replies(*, conversation: Conversation, body: Any, role: str) -> Post:
    """A staff answer: shown in the conversation and posted to the person's inbox (sealed under
        their key), the first one stops the due-time clock. The inbox then tells the email notice
    (`notices`), which mails a signed-in person who chose it once the answer is committed."""
    text = clean_body(body)
    if conversation.state == State.CLOSED:
        raise Conflict("This conversation is closed. Reopen it to answer.")
    now = timezone.now()
    with transaction.atomic():
        post = Post.objects.create(
            subject=conversation.subject,
            conversation=conversation,
            author=Author.STAFF,
            author_role=str(role),
            body=text,
            at=now,
        )
        changes: dict[str, Any] = {"state": State.ANSWERED, "last_message_at": now}
        if conversation.first_reply_at is None:
            changes["first_reply_at"] = now
        Conversation.objects.filter(pk=conversation.pk).update(**changes)
        if conversation.visitor_id is None:
            where = (
                "Answer it from your order page (the link we emailed you and the order number)."
                if conversation.guest
                else f"Read the whole conversation and answer it: {conversation_path(conversation)}"
            )
            send_message(
                subject=conversation.subject,
                kind="account",
                title=_reply_title(conversation),
                body=f"{text}\n\n{where}",
                dedupe_key=f"support:{post.pk}",
                new_key=True,
            )
    conversation.refresh_from_db()
    if conversation.guest and conversation.order is not None:
        # A guest has no account to sign in to: the email points to their conversations,
        # and the order number (which it does not carry) still opens them.
        from lookout.support.notices import guest_answer_waits

        guest_answer_waits(order=conversation.order)
    if conversation.visitor_id is not None:
        # A visitor has no inbox: the email with their conversation's link is how they learn.
        from lookout.support.visitors import email_visitor

        email_visitor(conversation=conversation, answered=True)
    return post


def staff_note(*, conversation: Conversation, body: Any, role: str) -> Post:
    """An internal note: for staff only, never shown to the customer (it is in their access
    file, like every word written about them)."""
    return Post.objects.create(
        subject=conversation.subject,
        conversation=conversation,
        author=Author.NOTE,
        author_role=str(role),
        body=clean_body(body),
    )


def close(*, conversation: Conversation) -> Conversation:
    """Closing starts the retention clock (conversations are kept 2 years after closing)."""
    if conversation.state != State.CLOSED:
        Conversation.objects.filter(pk=conversation.pk).update(
            state=State.CLOSED, closed_at=timezone.now()
        )
        conversation.refresh_from_db()
    return conversation


def reopen(*, conversation: Conversation) -> Conversation:
    if conversation.state == State.CLOSED:
        Conversation.objects.filter(pk=conversation.pk).update(
            state=State.WAITING_FOR_US, closed_at=None, last_message_at=timezone.now()
        )
        conversation.refresh_from_db()
    return conversation


def hand_over(*, conversation: Conversation, to_role: str) -> Conversation:
    """Move the conversation to another role's queue (finance for a refund question, the
    privacy officer for a privacy question); that role then reads it for its own purpose."""
    if to_role not in [str(r) for r in HANDOVER_ROLES]:
        raise InvalidMessage("Conversations go to after-sales, finance or the privacy officer.")
    changed = (
        Conversation.objects.filter(pk=conversation.pk).exclude(role=to_role).update(role=to_role)
    )
    conversation.refresh_from_db()
    if changed:
        # The receiving role's staff who chose it are told it waits for them (once per role).
        from lookout.support.staff_alerts import alert_waiting_after_commit

        alert_waiting_after_commit(conversation.pk)
    return conversation


PUBLIC_MAX = 2000


def publish_question(*, conversation: Conversation, question: Any, answer: Any) -> PublicQuestion:
    """Show a question and our answer on the product page, as staff worded them: only for a
    question about a product whose asker agreed, never naming the asker. Cached product pages
    are invalidated once it commits."""
    from lookout.catalog.cache import bump_generation

    if conversation.product_id is None or not conversation.publish_ok:
        raise Conflict("The asker did not agree to publish this question.")
    texts = [str(t or "").replace("\x00", "").strip() for t in (question, answer)]
    if not all(texts) or any(len(t) > PUBLIC_MAX for t in texts):
        raise InvalidMessage(
            f"Write the question and the answer, each at most {PUBLIC_MAX} characters."
        )
    with transaction.atomic():
        published, _ = PublicQuestion.objects.update_or_create(
            conversation=conversation,
            defaults={
                "product_id": conversation.product_id,
                "question": texts[0],
                "answer": texts[1],
                "published_at": timezone.now(),
            },
        )
        bump_generation()
    return published


def unpublish_question(*, conversation: Conversation) -> None:
    from lookout.catalog.cache import bump_generation

    with transaction.atomic():
        PublicQuestion.objects.filter(conversation=conversation).delete()
        bump_generation()


def set_notice_choice(*, subject: uuid.UUID, email_on_message: bool) -> NoticeChoice:
    choice, _ = NoticeChoice.objects.update_or_create(
        subject=subject,
        defaults={"email_on_message": email_on_message, "changed_at": timezone.now()},
    )
    return choice


# --- privacy requests born in a conversation (issue 23, item 3; C6.6) -------------------------


def link_request(*, conversation: Conversation, request_id: uuid.UUID, kind: str) -> RequestLink:
    """Record that a privacy request came from this conversation (once)."""
    link, _ = RequestLink.objects.get_or_create(
        conversation=conversation, request_id=request_id, defaults={"kind": str(kind)[:16]}
    )
    return link


def link_new_request(*, subject: uuid.UUID, request_id: uuid.UUID, kind: str) -> int:
    """A privacy request the person made (in the privacy centre, the guest form, or from a
    conversation) while a conversation of theirs is with the privacy officer: that conversation
    is what it resulted from, so both are linked. Returns how many conversations were linked."""
    found = Conversation.objects.filter(subject=subject, role=Role.PRIVACY_OFFICER).exclude(
        state=State.CLOSED
    )
    linked = 0
    for conversation in found:
        link_request(conversation=conversation, request_id=request_id, kind=kind)
        linked += 1
    return linked
