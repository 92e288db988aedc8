"""Retention rules for analytics and subject-request data (C4.6), until those apps list their
own in `<app>/retention.py`. Same shape as `lookout.retention.rules`."""

from __future__ import annotations

from datetime import datetime

from django.db import models

from lookout.analytics.models import DailySalt, Event
from lookout.analytics.personal_data import RAW_EVENT_RETENTION, SALT_RETENTION
from lookout.privacy.models import OPEN_STATUSES, GuestChallenge, SubjectRequest
from lookout.privacy.request_fields import CHALLENGE_RETENTION, REQUEST_RETENTION
from lookout.retention.registry import queryset_rule


def _closed_requests(cutoff: datetime) -> models.QuerySet[SubjectRequest]:
    return SubjectRequest.objects.exclude(status__in=OPEN_STATUSES).filter(decided_at__lt=cutoff)


RULES = [
    queryset_rule(
        name="analytics.raw_events",
        retention=RAW_EVENT_RETENTION,
        does="deletes raw page-view events older than the period (rollups stay)",
        due=lambda cutoff: Event.objects.filter(occurred_at__lt=cutoff),
    ),
    queryset_rule(
        name="analytics.daily_salts",
        retention=SALT_RETENTION,
        does="deletes the visitor-hash salts of days that ended before the cutoff",
        due=lambda cutoff: DailySalt.objects.filter(day__lt=cutoff.date()),
    ),
    queryset_rule(
        name="privacy.guest_challenges",
        retention=CHALLENGE_RETENTION,
        does="deletes guests' one-time code challenges expired before the cutoff",
        due=lambda cutoff: GuestChallenge.objects.filter(expires_at__lt=cutoff),
    ),
    queryset_rule(
        name="privacy.closed_requests",
        retention=REQUEST_RETENTION,
        does="deletes subject requests closed before the cutoff, with their sealed files",
        due=_closed_requests,
    ),
]
