"""Reads on conversations. They return rows with sealed words; views reveal them via the gate."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone

from lookout.orders.models import Order
from lookout.support.models import Author, Conversation, Post, RequestLink, State


def conversations_of(*, subject: uuid.UUID) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(subject=subject)
        .select_related("order")
        .order_by("-last_message_at", "-id")
    )


def conversation_of(*, subject: uuid.UUID, conversation_id: uuid.UUID) -> Conversation | None:
    """The person's own conversation, or None: someone else's looks exactly like a missing one."""
    return (
        Conversation.objects.select_related("order")
        .filter(subject=subject, pk=conversation_id)
        .first()
    )


def guest_conversations(*, order: Order) -> QuerySet[Conversation]:
    """A verified guest's conversations about their order (opened through the guest link)."""
    return Conversation.objects.filter(order=order, guest=True).order_by("-last_message_at")


def posts_for_customer(conversation: Conversation) -> QuerySet[Post]:
    """The messages, without staff's internal notes."""
    return conversation.posts.exclude(author=Author.NOTE).order_by("at", "id")


def posts_for_staff(conversation: Conversation) -> QuerySet[Post]:
    return conversation.posts.order_by("at", "id")


def queue(*, role: str) -> QuerySet[Conversation]:
    """Open conversations in a role's queue, earliest due first."""
    return (
        Conversation.objects.filter(role=role)
        .exclude(state=State.CLOSED)
        .select_related("order")
        .order_by("first_reply_due", "opened_at", "id")
    )


def overdue(*, role: str | None = None) -> QuerySet[Conversation]:
    """Conversations still without a first answer after their due day (C1.9)."""
    rows = Conversation.objects.filter(
        first_reply_at__isnull=True, first_reply_due__lt=timezone.localdate()
    ).exclude(state=State.CLOSED)
    return rows.filter(role=role) if role else rows


def search(
    *, order_number: str = "", email_subjects: list[uuid.UUID] | None = None
) -> QuerySet[Conversation]:
    """Staff search: by an order's number, or by the people an exact email names (found through
    blind indexes by the caller). Never by message text, which is sealed."""
    condition = Q(pk__in=[])
    if order_number:
        condition |= Q(order__number=order_number.strip().upper())
    if email_subjects:
        condition |= Q(subject__in=email_subjects)
    return (
        Conversation.objects.filter(condition)
        .select_related("order")
        .order_by("-last_message_at", "-id")
    )


def request_links(conversation: Conversation) -> QuerySet[RequestLink]:
    """The privacy requests that came from a conversation (ids and kinds)."""
    return conversation.request_links.order_by("linked_at", "id")


def conversations_for_request(*, request_id: uuid.UUID) -> QuerySet[Conversation]:
    """The conversations a privacy request came from (for the privacy officer's request page)."""
    return (
        Conversation.objects.filter(request_links__request_id=request_id)
        .select_related("order", "product")
        .order_by("opened_at", "id")
        .distinct()
    )
