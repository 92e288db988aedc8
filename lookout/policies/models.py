"""Policy documents, their versions, and who accepted which version how (C1.4, C1.5, C8).

Each of the three documents is versioned on its own (C1.4): version numbers count per document.
Versions are never edited or deleted once posted, so every one stays readable (C8.1).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Document(models.TextChoices):
    PRIVACY = "privacy", "Privacy Policy"
    SHIPPING = "shipping", "Shipping Policy"
    REFUND = "refund", "Refund Policy"


class PolicyVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.CharField(max_length=16, choices=Document.choices)
    number = models.PositiveIntegerField()
    text = models.TextField(help_text="Markdown")
    summary = models.TextField(blank=True, default="")
    posted_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField()
    material = models.BooleanField(default=False)
    # Set when every registered customer has had the notice of a material change (C8.4).
    notices_completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="policy_version_number"),
            models.CheckConstraint(
                condition=models.Q(effective_at__gte=models.F("posted_at")),
                name="policy_effective_not_before_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_display()} v{self.number}"

    @property
    def title(self) -> str:
        return str(self.get_document_display())

    def in_force(self, at: object = None) -> bool:
        return self.effective_at <= (at or timezone.now())  # type: ignore[operator]


class PolicyAcceptance(models.Model):
    """One person's acceptance of one version (C1.5, C8.3); appended, never changed."""

    class How(models.TextChoices):
        SIGNUP = "signup", "Accepted when creating the account"
        ORDER = "order", "Accepted when placing an order"
        CONTINUED_USE = "continued_use", "Accepted by continuing to use the store"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    how = models.CharField(max_length=16, choices=How.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        constraints = [
            # Continued use accepts a version once; a retried sign-in records nothing new.
            models.UniqueConstraint(
                fields=["subject", "version"],
                condition=models.Q(how="continued_use"),
                name="policy_continued_use_once",
            )
        ]

    def __str__(self) -> str:
        return f"acceptance of {self.version_id} ({self.how})"
