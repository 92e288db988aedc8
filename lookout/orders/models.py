"""Orders, their lines, their history and their delivery details.

An order names its buyer only by the pseudonymous `subject` (the account's, or a guest's own).
Everything that identifies a person (recipient name, address, phone, contact email) lives in
`Delivery`, sealed under the buyer's data key: crypto-shredding the key erases it, and staff
read it only through `lookout.access.reveal` for a purpose the matrix grants (C3.2, C4.3).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from lookout.core.money import MoneyField
from lookout.vault.fields import EncryptedField


class Status(models.TextChoices):
    PLACED = "placed", "Placed, awaiting payment"
    PAID = "paid", "Paid"
    PROCESSING = "processing", "Being prepared"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    EXPIRED = "expired", "Not paid in time, released"


# Which status may follow which: anything else is refused by the services.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PLACED: frozenset(
        {Status.PAID, Status.PAYMENT_FAILED, Status.CANCELLED, Status.EXPIRED}
    ),
    Status.PAID: frozenset({Status.PROCESSING, Status.CANCELLED}),
    Status.PROCESSING: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.SHIPPED: frozenset({Status.DELIVERED}),
    Status.DELIVERED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.PAYMENT_FAILED: frozenset(),
    Status.EXPIRED: frozenset(),
}
OPEN_FOR_WAREHOUSE = (Status.PAID, Status.PROCESSING)


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=16, unique=True)
    subject = models.UUIDField(db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLACED)
    subtotal = MoneyField()
    shipping = MoneyField(default=0)
    total = MoneyField()
    # A discount code used on the order (lookout.vouchers) and what it took off in all; each
    # line keeps its share (OrderLine.discount). total = subtotal - discount + shipping.
    voucher_code = models.CharField(max_length=32, blank=True, default="")
    discount = MoneyField(default=0)
    idempotency_key = models.CharField(max_length=64, unique=True)
    cart_id = models.BigIntegerField(null=True, blank=True)  # emptied once the order is paid
    payment_id = models.UUIDField(null=True, blank=True, unique=True)
    policy_versions = models.ManyToManyField("policies.PolicyVersion", related_name="+", blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateField(null=True, blank=True, db_index=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # cancelled or payment failed
    # Keyed digest of the client network that placed the order, counted while it waits for
    # payment (orders.limits); blanked by retention once the hold is over.
    hold_client = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(shipping=0), name="orders_free_shipping"),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="orders_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.number}"

    def is_late(self, today: date | None = None) -> bool:
        """Not yet handed to the carrier and past its ship-by date (C1.6)."""
        if self.status not in OPEN_FOR_WAREHOUSE or self.ship_by is None:
            return False
        return (today or timezone.localdate()) > self.ship_by


class OrderLine(models.Model):
    """A snapshot of what was bought at which price: catalog changes do not rewrite history."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=32)
    name = models.CharField(max_length=120)
    unit_price = MoneyField()
    quantity = models.PositiveIntegerField()
    line_total = MoneyField()
    # This line's share of the order's discount code: the buyer paid line_total - discount.
    discount = MoneyField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="orders_line_qty"),
            models.CheckConstraint(
                condition=models.Q(discount__gte=0, discount__lte=models.F("line_total")),
                name="orders_line_discount_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def paid(self) -> Decimal:
        """What the buyer paid for the whole line, after its share of a discount code."""
        return self.line_total - self.discount


class OrderEvent(models.Model):
    """One change of status: who (a subject id, "system" or "customer") and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor_ref = models.CharField(max_length=36)
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class Delivery(models.Model):
    """Where the parcel goes and how to reach the buyer: all sealed, except the country."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="delivery")
    name = EncryptedField(subject_field="subject")
    # JSON of the normalised address fields in the destination country's own format.
    address = EncryptedField(subject_field="subject")
    phone = EncryptedField(subject_field="subject", null=True)
    email = EncryptedField(subject_field="subject", null=True)  # guests only
    email_index = models.CharField(max_length=64, blank=True, db_index=True)
    country = models.CharField(max_length=2)

    def __str__(self) -> str:
        return f"delivery of {self.order_id} to {self.country}"


class Cancellation(models.Model):
    """Who cancelled an order, what became of its payment and, when staff cancelled it, why.

    The staff's reason is free text a person typed about a customer's order, so it may say
    something about the customer: it is sealed under the buyer's data key like the delivery
    details (erased with the key, read only through `reveal`), never kept in `OrderEvent.note`,
    whose wording is chosen by the code and stored in plain text.
    """

    class By(models.TextChoices):
        CUSTOMER = "customer", "The customer"
        AFTER_SALES = "after_sales", "After-sales"
        STORE = "store", "The store"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="cancellation")
    by = models.CharField(max_length=16, choices=By.choices)
    actor_ref = models.CharField(max_length=36)  # subject id of the person, "guest" or "system"
    payment = models.CharField(max_length=16)  # voided, refunded or nothing_taken
    reason = EncryptedField(subject_field="subject", null=True)  # staff only
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"cancellation of {self.order_id} by {self.by}"


class OrderNote(models.Model):
    """An internal note staff wrote on an order at the order desk (issue 20).

    Free text a person typed about a customer's order, so, like a cancellation's reason, it is
    sealed under the buyer's data key (erased with the key, read only through `reveal`, by the
    roles the matrix names) and never copied into the audit log or the plain-text history. The
    author is named by pseudonymous id and role only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    author_ref = models.CharField(max_length=36)  # subject id of the staff member
    author_role = models.CharField(max_length=32)
    body = EncryptedField(subject_field="subject")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        # Never the body: this string may reach logs and error reports.
        return f"note on {self.order_id} by {self.author_role}"
