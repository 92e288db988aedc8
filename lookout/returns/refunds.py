"""Refunds: created when the return is received, due 10 business days later, settled through
the payment gateway (C1.8).

Never more than was paid: a refund is capped, when it is created, at what the order's payment
has left to refund after the other refunds still due; settling locks the refund row, so two
"settle" clicks at once make one refund and one message, and `payments.refund` checks the
captured amount again under its own row lock (with a CHECK constraint behind it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from lookout.audit.services import record
from lookout.core.errors import Conflict
from lookout.core.money import format_usd, usd
from lookout.returns.models import Refund, RefundStatus, ReturnRequest, ReturnStatus
from lookout.returns.window import refund_due_on

if TYPE_CHECKING:
    from lookout.accounts.models import User


class RefundRefused(Conflict):
    """The refund cannot be made as asked (409); nothing changed."""


def _payment_for(ret: ReturnRequest):  # -> Payment
    from lookout.payments.models import Payment

    payment_id = ret.order.payment_id
    # Locked, like a settle or a refund at the console locks it, so what is left to refund is
    # read after any of those commits, never between its two writes.
    payment = (
        Payment.objects.select_for_update().filter(pk=payment_id).first() if payment_id else None
    )
    if payment is None or payment.status not in (
        Payment.Status.CAPTURED,
        Payment.Status.REFUNDED,
    ):
        raise RefundRefused(f"Order {ret.order.number} has no captured payment to refund.")
    return payment


def open_refund(*, ret: ReturnRequest) -> Refund:
    """Create the refund of a received return (inside the caller's transaction)."""
    payment = _payment_for(ret)
    still_due = Refund.objects.filter(payment_id=payment.pk, status=RefundStatus.PENDING).aggregate(
        total=Sum("amount")
    )["total"] or Decimal(0)
    left = usd(payment.captured_amount - payment.refunded_amount - still_due)
    amount = min(ret.amount, left)
    if amount <= 0:
        raise RefundRefused(
            f"Nothing is left to refund on order {ret.order.number}: "
            f"{format_usd(payment.refunded_amount + still_due)} is already refunded or due."
        )
    received_on = timezone.localdate(ret.received_at or timezone.now())
    refund = Refund.objects.create(
        ret=ret, payment_id=payment.pk, amount=amount, due_on=refund_due_on(received_on)
    )
    record(
        actor=None,
        action="refund.created",
        subject=ret.subject,
        target=refund,
        detail={"amount": str(amount), "due_on": refund.due_on.isoformat()},
    )
    return refund


def settle_refund(*, refund: Refund, actor: User) -> Refund:
    """Pay the refund back to the card; the return becomes refunded and the customer is told.

    Refused when already settled (a second click), cancelled, or not yet inspected.
    """
    from lookout.payments.services import refund as pay_back
    from lookout.returns.services import move

    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == RefundStatus.SETTLED:
            raise RefundRefused(f"This refund of {format_usd(locked.amount)} is already settled.")
        if locked.status == RefundStatus.CANCELLED:
            raise RefundRefused("This refund was cancelled: the return was rejected.")
        ret = (
            ReturnRequest.objects.select_for_update().select_related("order").get(pk=locked.ret_id)
        )
        if ret.status != ReturnStatus.REFUND_PENDING:
            raise RefundRefused(
                f"Return {ret.number} is {ReturnStatus(ret.status).label.lower()}; it is "
                "refunded once after-sales has accepted the inspection."
            )
        pay_back(payment=_payment_for(ret), amount=locked.amount, actor=actor)
        locked.status = RefundStatus.SETTLED
        locked.settled_at = timezone.now()
        locked.settled_by_ref = str(actor.subject)
        locked.save()
        record(
            actor=actor,
            action="refund.settled",
            subject=ret.subject,
            target=locked,
            detail={
                "amount": str(locked.amount),
                "due_on": locked.due_on.isoformat(),
                "late": timezone.localdate(locked.settled_at) > locked.due_on,
            },
        )
        ret.refund = locked
        move(ret=ret, to=ReturnStatus.REFUNDED, actor=actor)
    return locked
