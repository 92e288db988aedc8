"""Staff search of conversations: by an order's number, or by an exact email (issue 23, item 5).

The email is compared only as a blind index (accounts, guest deliveries, visitors), never read;
message text is never searched (it is sealed). A search by email tells staff that a person
wrote to the store, so each one is on the audit log with its purpose: one entry per person
found, naming their conversations, or one entry saying nothing was found.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from lookout.accounts.models import User
from lookout.audit.services import record
from lookout.orders.models import Delivery
from lookout.support import selectors
from lookout.support.models import Conversation, Visitor
from lookout.vault.blind_index import email_index

FIELDS = ["accounts.User.email_index", "orders.Delivery.email_index", "support.Visitor.email_index"]
LIMIT = 100


def by_number(*, number: str, role: str) -> QuerySet[Conversation]:
    return selectors.search(order_number=number).filter(role=role)


def by_email(*, email: str, role: str, purpose: str, actor: Any) -> list[Conversation]:
    digest = email_index(email)
    subjects: set[uuid.UUID] = set()
    for model in (User, Delivery, Visitor):
        subjects |= set(
            model._default_manager.filter(email_index=digest).values_list("subject", flat=True)
        )
    with transaction.atomic():
        found = list(selectors.search(email_subjects=sorted(subjects)).filter(role=role)[:LIMIT])
        by_subject: dict[uuid.UUID, list[Conversation]] = {}
        for conversation in found:
            by_subject.setdefault(conversation.subject, []).append(conversation)
        for subject, rows in by_subject.items():
            record(
                actor=actor,
                action="support.email_search",
                subject=subject,
                fields=FIELDS,
                purpose=purpose,
                targets=[c.pk for c in rows],
                detail={"found": len(rows)},
            )
        if not by_subject:
            record(
                actor=actor,
                action="support.email_search",
                fields=FIELDS,
                purpose=purpose,
                detail={"found": 0},
            )
    return found
