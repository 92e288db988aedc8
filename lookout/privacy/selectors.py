"""Reads for the privacy centre and the privacy officer's queue (C6.5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from lookout.privacy.models import OPEN_STATUSES, SubjectRequest


def requests_for(*, subject: uuid.UUID) -> QuerySet[SubjectRequest]:
    """The person's own requests, newest first."""
    return SubjectRequest.objects.filter(subject=subject).order_by("-created_at")


def request_of(*, subject: uuid.UUID | None, request_id: uuid.UUID) -> SubjectRequest | None:
    """The person's own request, or None: someone else's looks exactly like a missing one."""
    if subject is None:
        return None
    return SubjectRequest.objects.filter(subject=subject, pk=request_id).first()


@dataclass(frozen=True)
class QueueRow:
    request: SubjectRequest
    overdue: bool
    days_left: int


def officer_queue(*, now: datetime | None = None) -> list[QueueRow]:
    """Every open request, the one due first on top; overdue ones flagged (C6.5)."""
    now = now or timezone.now()
    rows = []
    for request in SubjectRequest.objects.filter(status__in=OPEN_STATUSES).order_by(
        "due_at", "created_at"
    ):
        rows.append(
            QueueRow(
                request=request,
                overdue=request.due_at < now,
                days_left=(request.due_at - now).days,
            )
        )
    return rows
