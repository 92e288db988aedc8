"""The site's own inbox: messages the store sends a person (order updates, policy notices, ...).

A message is about one person, so its words are sealed under that person's data key: destroying
the key (erasure) makes every message of theirs unreadable, in the database and in old backups.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lookout.vault.fields import EncryptedField


class Message(models.Model):
    class Kind(models.TextChoices):
        ORDER_UPDATE = "order_update", "Order update"
        POLICY_NOTICE = "policy_notice", "Policy notice"
        PROMOTION = "promotion", "Promotion"
        ACCOUNT = "account", "Account"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = EncryptedField(subject_field="subject")
    body = EncryptedField(subject_field="subject")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # A sender that must post "exactly once" (a notice per person per policy version) names the
    # message; a second send with the same key is refused by the unique index, even in a race.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"])]

    def __str__(self) -> str:
        # Never the title or body: this string may reach logs and error reports.
        return f"{self.get_kind_display()} message {str(self.id)[:8]}"
