"""Reads on the inbox. They return rows with sealed words; views reveal them via the gate."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from lookout.inbox.models import Message


def messages_for(*, subject: uuid.UUID) -> QuerySet[Message]:
    return Message.objects.filter(subject=subject)


def message_for(*, subject: uuid.UUID, message_id: uuid.UUID) -> Message | None:
    """The person's own message, or None: someone else's looks exactly like a missing one."""
    return Message.objects.filter(subject=subject, pk=message_id).first()


def unread_count(*, subject: uuid.UUID) -> int:
    return Message.objects.filter(subject=subject, read_at__isnull=True).count()
