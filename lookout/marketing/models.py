"""Promotions sent to opted-in customers' inboxes (C3.6, C3.7), and consents for purposes
outside the fixed list (C3.8)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Promotion(models.Model):
    """A message a catalog manager composes once and sends to everyone opted in at that time.

    Holds no personal data: the recipients are never listed here (each gets an inbox message
    named by a dedupe key), only how many there were.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=5000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    site_url = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"promotion {str(self.id)[:8]} ({self.status})"


class PurposeConsent(models.Model):
    """One person's consent to one use of their data outside the fixed purposes (C3.8).

    `purpose_code` names the use (e.g. `product_survey_2026`); `wording` is exactly what the
    person agreed to. Withdrawing sets `withdrawn_at`; the gate stops at once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    purpose_code = models.CharField(max_length=32)
    wording = models.TextField(max_length=2000)
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "purpose_code"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="marketing_one_active_consent_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"consent to {self.purpose_code}"
