"""The order's side of the payment: hand the buyer to the processor's hosted page, then settle
the order from the processor's signed answer. Card data never passes through here (C2.3).

The processor gets the cardholder name hint only through `sharing.disclose` (payment
processor kind: the name and nothing else, C5.3).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from lookout.core.errors import LookoutError
from lookout.core.purposes import Purpose
from lookout.orders import limits, services
from lookout.orders.models import Order, Status
from lookout.orders.services import DeliveryDetails
from lookout.sharing.errors import DisclosureRefused

if TYPE_CHECKING:
    from lookout.accounts.models import User
    from lookout.cart.models import Cart
    from lookout.payments.models import Payment

FAILED_MESSAGES = {
    "declined": "Your card was declined, so the order was not placed and nothing was charged. "
    "You can try again with another card.",
    "failed": "The payment service did not answer in time, so the order was not placed and "
    "nothing was charged. Please try again.",
}


EXPIRED_MESSAGE = (
    "This order was not paid in time, so its items went back on sale. Any amount your card "
    "authorised for it has been given back in full. You are welcome to order again."
)


class PaymentProblem(LookoutError):
    pass


@dataclass
class PreparedPayment:
    """What `prepare_payment` recorded: the name for the processor, or the audited refusal."""

    hint: dict[str, str | None] | None = None
    refused: DisclosureRefused | None = None
    payment: Payment | None = None  # reserved in the same transaction


def prepare_payment(*, order: Order, new_order: bool = False) -> PreparedPayment:
    """Disclose the cardholder name to the processor and reserve the payment, once per order.

    Runs inside a transaction that holds the order row: `begin_payment` locks it; checkout
    calls it from `place_order`'s own transaction (`new_order=True`), where the order was
    inserted a moment ago and nobody else can see it yet, let alone pay for it. A refusal's
    audit entry commits with that transaction."""
    from lookout.payments.models import Payment
    from lookout.payments.services import reserve_payment
    from lookout.sharing.services import disclose_to_active

    key = payment_key(order)
    if not new_order and Payment.objects.filter(idempotency_key=key).exists():
        return PreparedPayment()  # a retry sends no name again (the processor's page asks)
    try:
        hint = disclose_to_active(
            kind="payment_processor",
            record=order.delivery,
            purpose=Purpose.FULFILMENT,
            actor=None,
        )
    except DisclosureRefused as error:
        if order.payment_id is not None:  # placed with its payment's id: no payment after all
            Order.objects.filter(pk=order.pk).update(payment_id=None)
            order.payment_id = None
        return PreparedPayment(refused=error)
    payment = reserve_payment(
        order_ref=order.id,
        amount=order.total,
        idempotency_key=key,
        new=new_order,
        payment_id=order.payment_id if new_order else None,
    )
    return PreparedPayment(hint=hint, payment=payment)


def payment_key(order: Order) -> str:
    return f"order:{order.id}"


def begin_payment(*, order: Order, return_url: str, prepared: PreparedPayment | None = None) -> str:
    """Start (or resume) the payment of a placed order; the URL of the hosted payment page.

    Resuming discloses nothing: one order, one payment, one Disclosure row, even when two
    starts of the same order arrive at the same instant. `prepared` is what checkout already
    recorded with the order; without it, this records it first."""
    from lookout.payments.services import start_payment

    if order.status != Status.PLACED:
        raise PaymentProblem("This order is not waiting for payment.")
    if prepared is None:
        with transaction.atomic():
            # The order row is locked (SQLite: the write lock) while the disclosure and the
            # payment are recorded together, so a second start of the same order waits here
            # and then finds the payment: the name goes to the processor, and into the ledger,
            # once per order.
            services.lock_order(order)
            prepared = prepare_payment(order=order)
    if prepared.refused is not None:
        raise prepared.refused
    # The processor is called after commit: no lock is held while a third party answers.
    started = start_payment(
        order_ref=order.id,
        amount=order.total,
        return_url=return_url,
        idempotency_key=payment_key(order),
        cardholder_hint=prepared.hint,
        reserved=prepared.payment,
    )
    if order.payment_id != started.payment.id:  # checkout placed the order with its id
        services.attach_payment(order=order, payment_id=started.payment.id)
    return started.redirect_url


def place_and_prepare(
    *,
    cart: Cart,
    delivery: DeliveryDetails,
    idempotency_key: str,
    user: User | None,
    client: str | None = None,
) -> tuple[Order, PreparedPayment | None]:
    """Checkout: place the order and, for a new order, prepare its payment in the same
    transaction (one commit and one audit-lane lock instead of two). A repeated submit gets
    the earlier order and None: `begin_payment` then prepares under the order's lock.

    `client` is the visitor's address: a new order is admitted only while that network (and a
    signed-in buyer's account) holds fewer unpaid orders than `limits.max_unpaid()`; else
    TooManyHolds (429) and nothing is placed."""
    prepared: list[PreparedPayment] = []
    hold_client = limits.client_digest(client) if client else ""
    limits.precheck(hold_client=hold_client, user=user, idempotency_key=idempotency_key)

    def on_placed(order: Order) -> None:
        limits.admit(order=order, user=user)
        prepared.append(prepare_payment(order=order, new_order=True))

    order = services.place_order(
        cart=cart,
        delivery=delivery,
        idempotency_key=idempotency_key,
        user=user,
        on_placed=on_placed,
        payment_id=uuid.uuid4(),  # the payment reserved with it gets this id
        hold_client=hold_client,
    )
    return order, (prepared[-1] if prepared else None)


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
    if order.status == Status.EXPIRED:
        payment = confirm_payment(payment_id=order.payment_id, signed_reference=signed_reference)
        _give_back_late_payment(payment)
        return order, EXPIRED_MESSAGE
    if order.status != Status.PLACED:
        return order, ""
    payment = confirm_payment(payment_id=order.payment_id, signed_reference=signed_reference)
    if payment.status == "authorized":
        try:
            return services.mark_paid(order=order, payment_id=payment.id), ""
        except services.InvalidTransition:  # the hold ended while the buyer was paying
            order.refresh_from_db()
            if order.status != Status.EXPIRED:
                raise
            _give_back_late_payment(payment)
            return order, EXPIRED_MESSAGE
    message = FAILED_MESSAGES.get(payment.status, FAILED_MESSAGES["failed"])
    return services.mark_payment_failed(order=order, note=message), message


def _give_back_late_payment(payment: Payment) -> None:
    """A payment that arrived for an order already released: taken and refunded in full at
    once, so the buyer is never charged for an order the store no longer holds. (The
    processor's page is closed when a hold ends, so this happens only when a payment was
    started in the same moment as the expiry.)"""
    from lookout.payments.models import Payment as PaymentModel
    from lookout.payments.services import capture, refund

    if payment.status != PaymentModel.Status.AUTHORIZED:
        return
    captured = capture(payment=payment, actor=None)
    refund(payment=captured, amount=captured.captured_amount, actor=None)


def capture_for(*, order: Order, actor: User) -> None:
    """Charge the authorised amount: the customer pays when the parcel ships."""
    from lookout.payments.models import Payment
    from lookout.payments.services import capture

    if order.payment_id is None:
        raise PaymentProblem("This order has no payment to capture.")
    capture(payment=Payment.objects.get(pk=order.payment_id), actor=actor)
