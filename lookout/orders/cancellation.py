"""Cancelling an order: who may cancel until when, and the one all-or-nothing step that does it.

A buyer may cancel until the warehouse starts picking, after-sales until the parcel is handed to
the carrier; after that it is a return. The cancellation gives the money back first (if the
processor cannot be reached nothing changes), then writes the status, history, message, audit
entries and sealed reason, then puts the stock back, all under the order's row lock, so an order
is either cancelled or shipped, never both (C1.6 for the money, C3.5 for the record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from lookout.audit.services import record
from lookout.core.errors import Conflict, Forbidden, LookoutError
from lookout.core.money import format_usd
from lookout.orders.messages import cancellation_note
from lookout.orders.models import TRANSITIONS, Cancellation, Order, Status
from lookout.orders.services import actor_ref, lock_order, record_change, release_stock

if TYPE_CHECKING:
    from lookout.accounts.models import User

# Who may cancel until when: a customer until the warehouse starts picking, after-sales until
# the parcel is handed to the carrier (after that it is a return).
CUSTOMER_MAY_CANCEL = (Status.PLACED, Status.PAID)
STAFF_MAY_CANCEL = (Status.PLACED, Status.PAID, Status.PROCESSING)
REASON_MAX = 500


class CannotCancel(Conflict):
    """The order is past the point where this person may cancel it; nothing was changed."""


def refusal_for(status: str, *, staff: bool = False) -> str:
    """Why an order in `status` cannot be cancelled (by the buyer, or by staff)."""
    return _cannot_cancel(status, staff=staff).message


def _cannot_cancel(status: str, *, staff: bool) -> CannotCancel:
    if status == Status.CANCELLED:
        return CannotCancel("This order is already cancelled.")
    if status == Status.PROCESSING:
        return CannotCancel(
            "Our warehouse has started preparing this order, so it can no longer be cancelled "
            "here. Please contact our customer service; once it arrives, returns are free for "
            "60 days."
        )
    if status in (Status.SHIPPED, Status.DELIVERED):
        return CannotCancel(
            "This order has been handed to the carrier and can no longer be cancelled. "
            + ("Open a return instead." if staff else "Returns are free for 60 days.")
        )
    return CannotCancel(
        f"This order is {Status(status).label.lower()} and cannot be cancelled; nothing changed."
    )


def cancel_by_customer(*, order: Order, actor: User | None) -> Order:
    """The buyer cancels their own order before picking starts (placed or paid).

    `actor` is the signed-in buyer, or None for a guest whose link and order number the view
    checked. The stock goes back on sale and the payment is given back (see `_cancel`)."""
    return _cancel(
        order=order,
        actor=actor,
        allowed=CUSTOMER_MAY_CANCEL,
        by=Cancellation.By.CUSTOMER,
        who="" if actor is not None else "guest",
    )


def cancel_by_staff(*, order: Order, actor: User, reason: str) -> Order:
    """After-sales cancels an order until it ships, saying why.

    The reason is required and bounded; it is stored sealed under the buyer's key (it is
    free text a person typed, see `Cancellation`), never in the plain-text history or the
    audit detail. Only after-sales may do this: anyone else is refused (403) before anything
    is read or changed."""
    from lookout.access.roles import Role

    if not actor.is_authenticated or actor.role != Role.AFTER_SALES:
        raise Forbidden("Only after-sales staff may cancel an order.")
    reason = (reason or "").strip()
    if not reason:
        raise LookoutError("Say why the order is cancelled.")
    if len(reason) > REASON_MAX:
        raise LookoutError(f"The reason may be at most {REASON_MAX} characters long.")
    return _cancel(
        order=order,
        actor=actor,
        allowed=STAFF_MAY_CANCEL,
        by=Cancellation.By.AFTER_SALES,
        reason=reason,
    )


def cancel_order(*, order: Order, actor: User | None, note: str = "") -> Order:
    """The store cancels an order before shipment (no person's request behind it): stock goes
    back on the shelf and the payment is given back. `note` is fixed wording chosen by the
    caller, never typed text (the history is plain text)."""
    return _cancel(
        order=order,
        actor=actor,
        allowed=STAFF_MAY_CANCEL,
        by=Cancellation.By.STORE,
        note=note,
    )


def _cancel(
    *,
    order: Order,
    actor: User | None,
    allowed: tuple[str, ...],
    by: str,
    who: str = "",
    reason: str | None = None,
    note: str = "",
) -> Order:
    """One cancellation, all or nothing, under the order's row lock (the warehouse's "ship"
    takes the same lock, so an order is either cancelled or shipped, never both).

    Steps, and why in this order: the status check (a refusal changes nothing); the payment
    (voided, refunded or its page closed: if the processor cannot be reached, the
    cancellation fails as a whole and the money is not left held for an order that would
    say "cancelled"); then the status, history, message and audit; then the stock. An order
    already cancelled is returned as it is (a repeated submit of the same form).

    The audit log says who cancelled (the order.cancelled entry's actor) and why in the
    order.cancellation entry: by whom, what became of the payment, and that a reason was
    given, naming the sealed field; never the reason itself."""
    from lookout.payments.models import Payment
    from lookout.payments.services import void_or_refund

    with transaction.atomic():
        order = lock_order(order)
        if order.status == Status.CANCELLED:
            return order
        if order.status not in allowed or Status.CANCELLED not in TRANSITIONS[order.status]:
            raise _cannot_cancel(order.status, staff=by != Cancellation.By.CUSTOMER)
        given_back, refunded = "nothing_taken", ""
        if order.payment_id is not None:
            payment = Payment.objects.filter(pk=order.payment_id).first()
            if payment is not None:
                payment, given_back = void_or_refund(payment=payment, actor=actor)
                refunded = format_usd(payment.refunded_amount)
        before = order.status
        order.status = Status.CANCELLED
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at"])
        text = cancellation_note(by=by, payment=given_back, refunded=refunded)
        if note:
            text = f"{note.strip()} {text}"
        cancellation = Cancellation(
            subject=order.subject,
            order=order,
            by=by,
            actor_ref=who or actor_ref(actor),
            payment=given_back,
            reason=reason or None,
        )
        cancellation.save()  # the reason is sealed by its field's pre_save
        # A guest acts without an account: the audit names a visitor, not the store itself.
        acting = AnonymousUser() if who == "guest" else actor
        record_change(order=order, from_status=before, actor=acting, note=text[:200], who=who)
        record(
            actor=acting,
            action="order.cancellation",
            subject=order.subject,
            target=cancellation,
            fields=["orders.Cancellation.reason"] if reason else [],
            detail={
                "number": order.number,
                "by": by,
                "payment": given_back,
                "reason": "sealed" if reason else "none",
            },
        )
        release_stock(order)
    return order
