"""Parcels handed to the carrier and the tracking updates it sent back.

Nothing here names a person: the label's name and address went to the carrier through
`sharing.disclose` and are not copied here.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class TrackingStatus(models.TextChoices):
    LABEL_CREATED = "label_created", "Label created"
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED = "delivered", "Delivered"


class Shipment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="shipment")
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=40, unique=True)
    status = models.CharField(
        max_length=16, choices=TrackingStatus.choices, default=TrackingStatus.LABEL_CREATED
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"shipment {self.tracking_number}"


class TrackingEvent(models.Model):
    """One webhook the carrier sent; its event id is unique, so a replay is recognised."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.CharField(max_length=64, unique=True)
    # An outbound parcel, or (no shipment) a customer's return parcel named by `return_ref`.
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    return_ref = models.UUIDField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=TrackingStatus.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "received_at"]

    def __str__(self) -> str:
        return f"{self.status} for {self.shipment_id}"
