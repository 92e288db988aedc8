"""Verified reviews (issue 24, item 4): stars and words from a person whose order holding the
product was delivered, once per product.

The words and the name the reviewer chose to be shown under (`pseudonym`) are sealed under the
reviewer's own data key: erasure crypto-shreds them with the rest of their data, in the database
and in old backups, while the number of stars (which names nobody) stays in the product's
average. Staff read the words only through the gate, to moderate them (C4.4); visitors see them
only once published, read by the store for the purpose the reviewer agreed to (C3.8).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lookout.vault.fields import EncryptedField


class State(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Not published"


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="reviews")
    # The delivered order that made the person a verified buyer (kept for moderation: staff
    # see which order, never who).
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stars = models.PositiveSmallIntegerField()
    pseudonym = EncryptedField(subject_field="subject", null=True)
    body = EncryptedField(subject_field="subject", null=True)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    written_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_role = models.CharField(max_length=32, blank=True)  # the role, never who
    # Set when the reviewer's words were erased (erasure): the stars stay, the words are gone.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-written_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "product"], name="reviews_one_per_person_and_product"
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="reviews_stars_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=State.values), name="reviews_state_known"
            ),
        ]
        indexes = [models.Index(fields=["product", "state", "written_at"])]

    def __str__(self) -> str:
        # Never the words: this string may reach logs and error reports.
        return f"review {str(self.id)[:8]}"


class ProductRating(models.Model):
    """The published reviews' stars of one product, kept with every publication, removal and
    erasure, so a product card shows its average without reading a review (no N+1)."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="rating"
    )
    count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)  # sum of the stars

    def __str__(self) -> str:
        return f"rating of product {self.product_id}"

    @property
    def average(self) -> float:
        return round(self.total / self.count, 1) if self.count else 0.0
