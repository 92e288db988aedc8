"""Returns, the refunds they lead to, and disputes handed to a dispute-resolution vendor.

A return names its buyer only by the order's pseudonymous `subject`. The one thing a customer
types, the optional note, is sealed under their data key; the staff's rejection reason is a
sentence the customer reads, checked to hold no personal data (see services). A refund's due
date is fixed when the parcel is received (C1.8); amounts are exact USD cents.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.utils import timezone

from lookout.core.money import MoneyField
from lookout.vault.fields import EncryptedField


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    LABEL_ISSUED = "label_issued", "Return label issued"
    IN_TRANSIT = "in_transit", "On its way back to us"
    RECEIVED = "received", "Received at our warehouse"
    INSPECTED = "inspected", "Inspected"
    REFUND_PENDING = "refund_pending", "Refund on its way"
    REFUNDED = "refunded", "Refunded"
    REJECTED = "rejected", "Rejected"


S = ReturnStatus
# Which status may follow which; anything else is refused by the services. A parcel that
# arrives without an "in transit" scan may be received straight from "label issued".
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.LABEL_ISSUED, S.REJECTED}),
    S.LABEL_ISSUED: frozenset({S.IN_TRANSIT, S.RECEIVED}),
    S.IN_TRANSIT: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.INSPECTED, S.REJECTED}),
    S.INSPECTED: frozenset({S.REFUND_PENDING, S.REJECTED}),
    S.REFUND_PENDING: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.REJECTED: frozenset(),
}
OPEN = (S.REQUESTED, S.LABEL_ISSUED, S.IN_TRANSIT, S.RECEIVED, S.INSPECTED, S.REFUND_PENDING)
TO_RECEIVE = (S.LABEL_ISSUED, S.IN_TRANSIT)


class Reason(models.TextChoices):
    CHANGED_MIND = "changed_mind", "I changed my mind"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    DAMAGED = "damaged", "Arrived damaged"
    DEFECTIVE = "defective", "Does not work"
    WRONG_ITEM = "wrong_item", "Wrong item sent"
    OTHER = "other", "Another reason"


class ReturnRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=16, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    subject = models.UUIDField(db_index=True, editable=False)
    status = models.CharField(max_length=16, choices=ReturnStatus.choices, default=S.REQUESTED)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = EncryptedField(subject_field="subject", null=True)  # typed by the customer
    rejection_reason = models.CharField(max_length=300, blank=True, default="")
    amount = MoneyField()  # what the returned items cost: the refund, if accepted
    window_closes_on = models.DateField()
    carrier = models.CharField(max_length=100, blank=True, default="")
    tracking_number = models.CharField(max_length=40, blank=True, default="")
    requested_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "number"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="returns_amount_pos"),
            models.CheckConstraint(
                condition=models.Q(status__in=ReturnStatus.values), name="returns_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"return {self.number}"


class ReturnLine(models.Model):
    """How many of one order line go back."""

    ret = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    amount = MoneyField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="returns_line_qty"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x line {self.order_line_id}"


class ReturnEvent(models.Model):
    """One change of status: who (a pseudonymous subject id, "system", "customer") and when."""

    ret = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor_ref = models.CharField(max_length=36)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"

    @property
    def to_status_label(self) -> str:
        """The status it moved to, in words ("label_issued" -> "Return label issued")."""
        return str(dict(ReturnStatus.choices).get(self.to_status, self.to_status))


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Due"
    SETTLED = "settled", "Settled"
    CANCELLED = "cancelled", "Cancelled (return rejected)"


class Refund(models.Model):
    """Money owed back for one received return; due 10 business days after receipt (C1.8)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ret = models.OneToOneField(ReturnRequest, on_delete=models.PROTECT, related_name="refund")
    payment_id = models.UUIDField(db_index=True)
    amount = MoneyField()
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    due_on = models.DateField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by_ref = models.CharField(max_length=36, blank=True, default="")
    overdue = False  # not a column: set for a given day by selectors.refunds_due

    class Meta:
        ordering = ["due_on", "created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_pos"),
        ]

    def __str__(self) -> str:
        return f"refund of {self.ret_id} ({self.status})"

    def is_overdue(self, today: date | None = None) -> bool:
        """Not settled and past its due date (C1.8)."""
        if self.status != RefundStatus.PENDING:
            return False
        return (today or timezone.localdate()) > self.due_on


class Dispute(models.Model):
    """A case handed to a dispute-resolution vendor by after-sales."""

    class Status(models.TextChoices):
        OPEN = "open", "Open with the vendor"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="disputes")
    subject = models.UUIDField(db_index=True, editable=False)
    partner = models.ForeignKey("sharing.Partner", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    case_reference = models.CharField(max_length=40, unique=True)
    opened_by_ref = models.CharField(max_length=36)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"dispute {self.case_reference}"
