"""Reads on returns: a customer's own, and the back-office queues (each role sees its part)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from lookout.orders.models import Order
from lookout.returns.models import (
    OPEN,
    TO_RECEIVE,
    Dispute,
    Refund,
    RefundStatus,
    ReturnRequest,
    ReturnStatus,
)
from lookout.returns.services import returned_quantities

if TYPE_CHECKING:
    from lookout.accounts.models import User


def returns_of_order(*, order: Order) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order=order).prefetch_related("lines__order_line", "events")


def return_of(*, user: User, number: str) -> ReturnRequest | None:
    """The same None for another person's return and a missing one."""
    return (
        ReturnRequest.objects.filter(subject=user.subject, number=number.strip().upper())
        .select_related("order")
        .prefetch_related("lines__order_line", "events")
        .first()
    )


def returnable_lines(*, order: Order) -> list[dict[str, Any]]:
    """Each line of the order with how many units may still be returned."""
    already = returned_quantities(order=order)
    return [
        {"line": line, "left": line.quantity - already.get(line.pk, 0)}
        for line in order.lines.all()
    ]


# --- back-office queues -----------------------------------------------------------------------


def to_receive() -> QuerySet[ReturnRequest]:
    """Warehouse: parcels on their way back, the oldest request first."""
    return (
        ReturnRequest.objects.filter(status__in=TO_RECEIVE)
        .select_related("order")
        .prefetch_related("lines__order_line")
    )


def after_sales_queue() -> QuerySet[ReturnRequest]:
    """After-sales: open returns, those waiting for a decision (requested, received) first."""
    return (
        ReturnRequest.objects.filter(status__in=OPEN)
        .select_related("order", "order__delivery", "order__user")
        .prefetch_related("lines__order_line")
    )


def recent_disputes(limit: int = 50) -> QuerySet[Dispute]:
    return Dispute.objects.select_related("order", "partner")[:limit]


def refunds_due(*, today: date | None = None) -> list[Refund]:
    """Finance: refunds not yet settled, the earliest due date first; overdue ones flagged."""
    day = today or timezone.localdate()
    rows = list(
        Refund.objects.filter(status=RefundStatus.PENDING)
        .select_related("ret", "ret__order")
        .order_by("due_on", "created_at")
    )
    for refund in rows:
        refund.overdue = refund.is_overdue(day)
    return rows


def recently_settled(limit: int = 20) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(status=RefundStatus.SETTLED)
        .select_related("ret", "ret__order")
        .order_by("-settled_at")[:limit]
    )


def overdue_refunds(*, today: date | None = None) -> QuerySet[Refund]:
    day = today or timezone.localdate()
    return Refund.objects.filter(status=RefundStatus.PENDING, due_on__lt=day)


def awaiting_decision() -> Q:
    return Q(status__in=(ReturnStatus.REQUESTED, ReturnStatus.RECEIVED))
