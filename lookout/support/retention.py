"""Retention of conversations (C4.6), collected by lookout.retention.registry.

A conversation, with every message and internal note in it, is deleted two years after it was
closed. One nobody closed is deleted two years after its last message: staff may forget to
close, and "kept forever because nobody clicked" is no retention period.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from lookout.core.inventory import CACHE_RETENTION
from lookout.core.retention_rules import queryset_rule
from lookout.support.models import Conversation, Visitor, VisitorRequestCode
from lookout.support.personal_data import SUPPORT_RETENTION


def _due(cutoff: datetime) -> models.QuerySet[Conversation]:
    return Conversation.objects.filter(
        Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, last_message_at__lt=cutoff)
    )


def _unproved_visitors(cutoff: datetime) -> models.QuerySet[Visitor]:
    return Visitor.objects.filter(verified_at__isnull=True, created_at__lt=cutoff)


def _idle_visitors(cutoff: datetime) -> models.QuerySet[Visitor]:
    return Visitor.objects.filter(created_at__lt=cutoff, conversations__isnull=True)


def _request_codes(cutoff: datetime) -> models.QuerySet[VisitorRequestCode]:
    return VisitorRequestCode.objects.filter(created_at__lt=cutoff)


RULES = [
    # A visitor's code for a privacy request is of no use a quarter of an hour later.
    queryset_rule(
        name="support.visitor_request_codes",
        retention=CACHE_RETENTION,
        does="deletes the code a visitor asked for before a privacy request, a day later",
        due=_request_codes,
    ),
    # A code asked for and never used: the email it was sent to goes a day later (and with it
    # the only use of the visitor's data key, which the unused-key rule then destroys).
    queryset_rule(
        name="support.unproved_visitors",
        retention=CACHE_RETENTION,
        does="deletes a visitor's email and code a day after the code was asked for, when the "
        "code was never typed",
        due=_unproved_visitors,
    ),
    queryset_rule(
        name="support.idle_visitors",
        retention=SUPPORT_RETENTION,
        does="deletes a proved visitor's email once none of their conversations is left",
        due=_idle_visitors,
    ),
    queryset_rule(
        name="support.conversations",
        retention=SUPPORT_RETENTION,
        does="deletes a customer-service conversation and its messages two years after it was "
        "closed (or, never closed, after its last message)",
        due=_due,
    ),
]
