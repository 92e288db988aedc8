"""Reads of payments for other apps (checkout's return view, order pages, after-sales)."""

from __future__ import annotations

import uuid

from lookout.payments.models import Payment


def payments_for_order(*, order_ref: uuid.UUID):
    """Every payment attempt for an order, newest first (a declined try, then a paid one)."""
    return Payment.objects.filter(order_ref=order_ref).order_by("-created_at")


def settled_payment(*, order_ref: uuid.UUID) -> Payment | None:
    """The order's authorized (or captured/refunded) payment, if any."""
    paid = (Payment.Status.AUTHORIZED, Payment.Status.CAPTURED, Payment.Status.REFUNDED)
    return payments_for_order(order_ref=order_ref).filter(status__in=paid).first()
