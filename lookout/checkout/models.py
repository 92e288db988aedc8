"""Addresses a signed-in customer chose to keep for their next checkout, sealed like all
personal fields under the customer's own data key."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from lookout.vault.fields import EncryptedField


class SavedAddress(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_addresses"
    )
    name = EncryptedField(subject_field="subject")
    address = EncryptedField(subject_field="subject")  # JSON, like orders.Delivery.address
    phone = EncryptedField(subject_field="subject", null=True)
    country = models.CharField(max_length=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"saved address in {self.country}"
