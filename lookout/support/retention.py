"""Retention of conversations (C4.6), collected by lookout.retention.registry.

A conversation, with every message and internal note in it, is deleted two years after it was
closed. One nobody closed is deleted two years after its last message: staff may forget to
close, and "kept forever because nobody clicked" is no retention period.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from lookout.core.retention_rules import queryset_rule
from lookout.support.models import Conversation
from lookout.support.personal_data import SUPPORT_RETENTION


def _due(cutoff: datetime) -> models.QuerySet[Conversation]:
    return Conversation.objects.filter(
        Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, last_message_at__lt=cutoff)
    )


RULES = [
    queryset_rule(
        name="support.conversations",
        retention=SUPPORT_RETENTION,
        does="deletes a customer-service conversation and its messages two years after it was "
        "closed (or, never closed, after its last message)",
        due=_due,
    ),
]
