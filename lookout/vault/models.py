"""Each person's data key, wrapped by the master key. Stored in the key store database."""

from __future__ import annotations

from django.db import models


class DataKey(models.Model):
    """A person's 256-bit data key, encrypted (wrapped) under the master keyset.

    Deleting the row is crypto-shredding: every ciphertext made with this key becomes unreadable,
    including copies in backups of the main database.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer"
        GUEST = "guest"
        STAFF = "staff"

    subject = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    wrapped = models.BinaryField()
    master_key_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key {self.subject}"
