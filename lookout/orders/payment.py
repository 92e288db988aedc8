"""The order's side of the payment: hand the buyer to the processor's hosted page, then settle
the order from the processor's signed answer. Card data never passes through here (C2.3).

The processor gets the cardholder name hint only through `sharing.disclose` (payment
processor kind: the name and nothing else, C5.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.orders import services
from lookout.orders.models import Order, Status

if TYPE_CHECKING:
    from lookout.accounts.models import User

FAILED_MESSAGES = {
    "declined": "Your card was declined, so the order was not placed and nothing was charged. "
    "You can try again with another card.",
    "failed": "The payment service did not answer in time, so the order was not placed and "
    "nothing was charged. Please try again.",
}


class PaymentProblem(LookoutError):
    pass


def begin_payment(*, order: Order, return_url: str) -> str:
    """Start (or resume) the payment of a placed order; the URL of the hosted payment page.

    Resuming discloses nothing: one order, one payment, one Disclosure row, even when two
    starts of the same order arrive at the same instant."""
    from lookout.payments.models import Payment
    from lookout.payments.services import reserve_payment, start_payment
    from lookout.sharing.errors import DisclosureRefused
    from lookout.sharing.services import active_partner, disclose

    if order.status != Status.PLACED:
        raise PaymentProblem("This order is not waiting for payment.")
    key = f"order:{order.id}"
    hint = None
    refused: DisclosureRefused | None = None
    with transaction.atomic():
        # The order row is locked (SQLite: the write lock) while the disclosure and the payment
        # are recorded together, so a second start of the same order waits here and then finds
        # the payment: the name goes to the processor, and into the ledger, once per order. A
        # retry, even after a failed processor call, sends no name again: the processor's page
        # asks for it if it never arrived.
        services.lock_order(order)
        if not Payment.objects.filter(idempotency_key=key).exists():
            try:
                hint = disclose(
                    partner=active_partner("payment_processor"),
                    record=order.delivery,
                    purpose=Purpose.FULFILMENT,
                    actor=None,
                )
            except DisclosureRefused as error:
                refused = error  # its audit entry commits with this transaction
            else:
                reserve_payment(order_ref=order.id, amount=order.total, idempotency_key=key)
    if refused is not None:
        raise refused
    # The processor is called after commit: no lock is held while a third party answers.
    started = start_payment(
        order_ref=order.id,
        amount=order.total,
        return_url=return_url,
        idempotency_key=key,
        cardholder_hint=hint,
    )
    services.attach_payment(order=order, payment_id=started.payment.id)
    return started.redirect_url


def finish_payment(*, order: Order, signed_reference: str) -> tuple[Order, str]:
    """Confirm with the processor; the order becomes paid or payment_failed.

    Returns the order and, for a failure, the message to show. A tampered reference raises
    the processor's PaymentError (400) and changes nothing.
    """
    from lookout.payments.services import confirm_payment

    order.refresh_from_db()
    if order.payment_id is None:
        raise PaymentProblem("This order has no payment to confirm.")
    if order.status == Status.PAYMENT_FAILED:  # a reloaded return page
        last = order.events.filter(to_status=Status.PAYMENT_FAILED).first()
        return order, last.note if last else FAILED_MESSAGES["failed"]
    if order.status != Status.PLACED:
        return order, ""
    payment = confirm_payment(payment_id=order.payment_id, signed_reference=signed_reference)
    if payment.status == "authorized":
        return services.mark_paid(order=order, payment_id=payment.id), ""
    message = FAILED_MESSAGES.get(payment.status, FAILED_MESSAGES["failed"])
    return services.mark_payment_failed(order=order, note=message), message


def capture_for(*, order: Order, actor: User) -> None:
    """Charge the authorised amount: the customer pays when the parcel ships."""
    from lookout.payments.models import Payment
    from lookout.payments.services import capture

    if order.payment_id is None:
        raise PaymentProblem("This order has no payment to capture.")
    capture(payment=Payment.objects.get(pk=order.payment_id), actor=actor)
