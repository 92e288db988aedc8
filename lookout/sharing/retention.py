"""Retention rules of the sharing app (C4.6), collected by lookout.retention.registry.

The partner ledger (`Disclosure`) is purged by lookout.retention.rules; the one-time consents
to other disclosures and their ledger rows are kept as long as order records (the proof that a
disclosure was consented to), then deleted together; so are an erasure's certificate and its
redaction requests to partners (the proof that partners were asked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction

from lookout.core.inventory import ORDER_RETENTION
from lookout.core.retention_rules import queryset_rule
from lookout.sharing.models import (
    ConsentedDisclosure,
    DeletionCertificate,
    InstanceConsent,
    RedactionRequest,
)


def _consents_due(cutoff: datetime) -> models.QuerySet[InstanceConsent]:
    return InstanceConsent.objects.filter(granted_at__lt=cutoff)


@transaction.atomic
def _delete_consents(keys: list[Any], now: datetime) -> int:
    """The ledger rows first (they protect their consent), then the consents."""
    ConsentedDisclosure.objects.filter(consent__in=keys).delete()
    deleted, _ = InstanceConsent.objects.filter(pk__in=keys).delete()
    return deleted


def _certificates_due(cutoff: datetime) -> models.QuerySet[DeletionCertificate]:
    return DeletionCertificate.objects.filter(created_at__lt=cutoff)


@transaction.atomic
def _delete_certificates(keys: list[Any], now: datetime) -> int:
    """An erasure's proof goes with the ledger it answers for: its requests, then itself."""
    RedactionRequest.objects.filter(certificate__in=keys).delete()
    deleted, _ = DeletionCertificate.objects.filter(pk__in=keys).delete()
    return deleted


RULES = [
    queryset_rule(
        name="sharing.instance_consents",
        retention=ORDER_RETENTION,
        does="deletes one-time disclosure consents (and their ledger rows) granted before the "
        "cutoff",
        due=_consents_due,
        apply=_delete_consents,
    ),
    queryset_rule(
        name="sharing.deletion_certificates",
        retention=ORDER_RETENTION,
        does="deletes deletion certificates (and their redaction requests to partners) made "
        "before the cutoff",
        due=_certificates_due,
        apply=_delete_certificates,
    ),
]
