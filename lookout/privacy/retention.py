"""Retention rules of the privacy app's own records (C4.6), collected by
lookout.retention.registry. Subject requests and guest codes are still listed in
lookout.retention.rules_more."""

from __future__ import annotations

from lookout.core.retention_rules import queryset_rule
from lookout.privacy.models import ProcessingRestriction
from lookout.privacy.request_fields import REQUEST_RETENTION

RULES = [
    queryset_rule(
        name="privacy.lifted_restrictions",
        retention=REQUEST_RETENTION,
        does="deletes restrictions of processing lifted before the cutoff (C6.9)",
        due=lambda cutoff: ProcessingRestriction.objects.filter(lifted_at__lt=cutoff),
    ),
]
