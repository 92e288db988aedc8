"""Anonymous analytics (C2.4). No column can hold a user id, email, order id, full IP address or
user-agent string, and no foreign key points to an account or an order: nothing joins an event
to a person. The `visitor` column is either a keyed hash of a random cookie (with analytics
consent) or a hash under a salt that is deleted after one day (without it).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    VIEW = "view", "Page view"
    DWELL = "dwell", "Time on a product page"
    CART_ADD = "cart_add", "Added to cart"
    SEARCH = "search", "Search"


class Event(models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices)
    path = models.CharField(max_length=200)
    referrer_path = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=32, blank=True, db_index=True)
    search_terms = models.CharField(max_length=60, blank=True)
    results = models.PositiveIntegerField(null=True, blank=True)
    dwell_seconds = models.PositiveIntegerField(null=True, blank=True)
    device_class = models.CharField(max_length=10)
    browser_family = models.CharField(max_length=40)
    browser_major = models.CharField(max_length=8, blank=True)
    network = models.CharField(max_length=50, blank=True)
    visitor = models.CharField(max_length=32, db_index=True)
    linked = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"


class DailySalt(models.Model):
    """The salt of one day's visitor hashes. Deleted the next day, after which no one, not even
    us, can recompute which events came from the same browser (Plausible's method)."""

    day = models.DateField(primary_key=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"salt of {self.day}"


class DailyRollup(models.Model):
    """Counts per day, kind, product and device class, kept after raw events are purged."""

    day = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    path = models.CharField(max_length=200)
    sku = models.CharField(max_length=32, blank=True)
    device_class = models.CharField(max_length=10)
    events = models.PositiveIntegerField()
    visitors = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "path", "sku", "device_class"], name="analytics_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.path}"
