"""Consent receipts (proof of each cookie choice) and operator-registered third-party scripts."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lookout.consent.cookies import Category


class ConsentReceipt(models.Model):
    """One cookie choice. Holds no IP address and no user agent; it names an account only when a
    signed-in visitor asks to keep the link (then `subject` is the pseudonymous data-key id)."""

    class Method(models.TextChoices):
        ACCEPT_ALL = "accept_all", "Accepted all"
        REJECT_ALL = "reject_all", "Rejected all"
        CUSTOM = "custom", "Chose by category"
        GPC = "gpc", "Global Privacy Control (treated as reject)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    analytics = models.BooleanField(default=False)
    marketing = models.BooleanField(default=False)
    method = models.CharField(max_length=12, choices=Method.choices)
    gpc = models.BooleanField(default=False)
    banner_version = models.CharField(max_length=64)
    privacy_policy_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    subject = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"receipt {self.id}"

    @property
    def categories(self) -> list[str]:
        chosen = [Category.STRICTLY_NECESSARY.value]
        if self.analytics:
            chosen.append(Category.ANALYTICS.value)
        if self.marketing:
            chosen.append(Category.MARKETING.value)
        return chosen


class ThirdPartyScript(models.Model):
    """Code from another origin, registered by an operator for one optional category. It is
    rendered, and its origin allowed by the CSP, only for visitors who opted in to the category."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80)
    category = models.CharField(
        max_length=20,
        choices=[(c.value, c.label) for c in (Category.ANALYTICS, Category.MARKETING)],
    )
    src = models.URLField(max_length=500)
    origin = models.CharField(max_length=200, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.category})"
