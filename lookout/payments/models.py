"""A payment as the store keeps it: a processor reference and token, never card data (C2.3).

Of the card the store keeps brand, last four digits and expiry month/year — what C2.3 allows,
what a customer needs to recognise the card on a receipt and what after-sales needs for a
refund. They are plain columns: a Payment carries only `order_ref`, not the buyer's data-key
subject, so it cannot be sealed under the buyer's key here; none of the four identifies a card
or a person on its own (see personal_data.py).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q

from lookout.core.money import MoneyField


class Payment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", "Waiting for the customer on the payment page"
        AUTHORIZED = "authorized", "Authorized"
        DECLINED = "declined", "Declined"
        FAILED = "failed", "Failed"
        CAPTURED = "captured", "Captured"
        REFUNDED = "refunded", "Refunded in full"
        VOIDED = "voided", "Authorization released (order cancelled before capture)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_ref = models.UUIDField(db_index=True)
    amount = MoneyField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    message = models.CharField(max_length=300, blank=True, default="")
    processor_reference = models.CharField(max_length=80, unique=True, null=True, blank=True)
    processor_token = models.CharField(max_length=80, blank=True, default="")
    # The processor's hosted page for this session, so a repeated submit is sent back there
    # without a second call (whose return URL, holding a fresh signed token, could differ).
    redirect_url = models.CharField(max_length=500, blank=True, default="")
    brand = models.CharField(max_length=20, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    authorized_amount = MoneyField(default=0)
    captured_amount = MoneyField(default=0)
    refunded_amount = MoneyField(default=0)
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__lte=F("authorized_amount")),
                name="payment_capture_within_authorized",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("captured_amount")),
                name="payment_refund_within_captured",
            ),
            models.CheckConstraint(
                condition=Q(last4="") | Q(last4__regex=r"^[0-9]{4}$"),
                name="payment_last4_is_four_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.id} ({self.status})"

    @property
    def refundable_amount(self):
        return self.captured_amount - self.refunded_amount


class ProcessorEvent(models.Model):
    """A webhook the processor sent and the store applied: its id is unique, so a repeat is
    recognised and changes nothing. Kept only as long as the signature's replay window (a
    delivery older than that is refused by its timestamp anyway)."""

    event_id = models.CharField(max_length=80, primary_key=True)
    reference = models.CharField(max_length=80)
    kind = models.CharField(max_length=40)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} for {self.reference}"
