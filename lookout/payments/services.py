"""Payments: start at the processor's page, confirm the signed return, capture, refund (C2.3).

The customer's card goes to the processor's hosted page, never through the store. The store
keeps a reference, a token, brand, last four and expiry. Processor calls are made outside the
store's transactions where they can block for long (start, confirm: the processor may hang up
to the timeout), and inside a row lock where the lock is what keeps money right (capture and
refund: two refunds at once must not both pass the "not more than captured" check).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import IntegrityError, connections, router, transaction

from lookout.audit.services import record
from lookout.core.errors import LookoutError
from lookout.core.money import MoneyError, format_usd, usd
from lookout.core.rows import insert
from lookout.payments.gateway import GatewayError, GatewayTimeout, ProcessorSession, get_gateway
from lookout.payments.models import Payment

if TYPE_CHECKING:
    from lookout.accounts.models import User

Status = Payment.Status

TIMEOUT_MESSAGE = (
    "The payment processor did not answer in time. No money was taken; please try again."
)
DECLINED_MESSAGE = "Your card was declined. No money was taken; please try another card."
INVALID_REFERENCE = (
    "This payment confirmation is not valid. Please return to your order and pay again."
)
UNAVAILABLE = "The payment processor cannot be reached right now. Nothing was charged; try again."
PAYMENT_ID = "{payment_id}"  # placeholder in a return URL
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class PaymentError(LookoutError):
    """A payment request the store refuses; the message is for the customer or staff member."""

    status_code = 400


class PaymentConflict(PaymentError):
    status_code = 409


class ProcessorUnavailable(PaymentError):
    status_code = 503


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    redirect_url: str


def _amount(value: Decimal | int | str) -> Decimal:
    try:
        amount = usd(value)
    except MoneyError as exc:
        raise PaymentError("The amount is not a valid USD amount.") from exc
    if amount <= 0:
        raise PaymentError("The amount must be more than $0.00.")
    return amount


def _checked(amount: Decimal | int | str, idempotency_key: str) -> Decimal:
    """The amount as USD, once both it and the payment key are valid."""
    checked = _amount(amount)
    if not isinstance(idempotency_key, str) or not _KEY.fullmatch(idempotency_key):
        raise PaymentError("The payment key must be 1-100 letters, digits or _.:- characters.")
    return checked


def _check_return_url(url: str) -> None:
    parts = urlsplit(url)
    relative = url.startswith("/") and not url.startswith("//") and not parts.netloc
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    if not (relative or absolute) or len(url) > 500 or any(c in url for c in "\r\n\\ "):
        raise PaymentError("The return address must be a path on this shop or an http(s) URL.")


def reserve_payment(
    *,
    order_ref: uuid.UUID,
    amount: Decimal,
    idempotency_key: str,
    new: bool = False,
    payment_id: uuid.UUID | None = None,
) -> Payment:
    """The Payment for this key, created (and audited) if there is none yet, without calling
    the processor: lets a caller record the payment in the same transaction as what led to it
    (the order's disclosure to the processor), then call `start_payment` after commit.

    `new=True`: the caller knows no payment can have this key yet (its order was created in
    the same, uncommitted transaction), so the payment is inserted without looking first; the
    unique key would still refuse a second one. `payment_id`, with `new`: the id to give it
    (checkout writes it on the order as the order is placed)."""
    checked = _checked(amount, idempotency_key)
    if new:
        return _create_payment(
            order_ref=order_ref, amount=checked, key=idempotency_key, payment_id=payment_id
        )
    return _payment_for_key(order_ref=order_ref, amount=checked, idempotency_key=idempotency_key)


def _create_payment(
    *, order_ref: uuid.UUID, amount: Decimal, key: str, payment_id: uuid.UUID | None = None
) -> Payment:
    # Without the ORM's compile step (core.rows): every checkout reserves one.
    payment = insert(
        Payment(
            id=payment_id or uuid.uuid4(), order_ref=order_ref, amount=amount, idempotency_key=key
        )
    )
    record(actor=None, action="payment.started", target=payment, detail={"amount": str(amount)})
    return payment


def _payment_for_key(*, order_ref: uuid.UUID, amount: Decimal, idempotency_key: str) -> Payment:
    """The Payment for this key: the earlier one on a repeat, else a new one."""
    payment = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if payment is None:
        try:
            with transaction.atomic():
                payment = _create_payment(order_ref=order_ref, amount=amount, key=idempotency_key)
        except IntegrityError:
            # A concurrent request with the same key created it first.
            payment = Payment.objects.get(idempotency_key=idempotency_key)
    if payment.order_ref != order_ref or payment.amount != amount:
        raise PaymentConflict("This payment key was already used for a different order or amount.")
    return payment


def start_payment(
    *,
    order_ref: uuid.UUID,
    amount: Decimal,
    return_url: str,
    idempotency_key: str,
    cardholder_hint: dict[str, Any] | None = None,
    reserved: Payment | None = None,
) -> PaymentStart:
    """Open a session at the processor and say where to send the customer's browser.

    Idempotent on `idempotency_key`: a repeated submit gets the same Payment and the same
    processor session (the processor call is keyed by the Payment's id); while the payment is
    still `created`, the stored page address is returned without calling the processor.
    After a decline the checkout starts a new payment with a new key. `return_url` may
    contain "{payment_id}", replaced by the new Payment's id, so the return view knows which
    payment to confirm. `cardholder_hint` is `sharing.disclose`'s payload for the payment
    processor; only its "name" is sent, to prefill the processor's form. `reserved` is the
    payment `reserve_payment` made for this key in the caller's committed transaction: used as
    it is instead of being looked up again.
    """
    amount = _checked(amount, idempotency_key)
    _check_return_url(return_url)
    # Only the name goes to the processor, whatever else the hint holds (C5.3).
    name = (cardholder_hint or {}).get("name")
    if reserved is not None and (reserved.idempotency_key, reserved.order_ref, reserved.amount) == (
        idempotency_key,
        order_ref,
        amount,
    ):
        payment = reserved  # reserved a moment ago, in the transaction that placed the order
    else:
        payment = _payment_for_key(
            order_ref=order_ref, amount=amount, idempotency_key=idempotency_key
        )
    if payment.status == Status.CREATED and payment.processor_reference and payment.redirect_url:
        # A repeat while the customer has not paid yet: the session opened before.
        return PaymentStart(payment=payment, redirect_url=payment.redirect_url)
    try:
        session = get_gateway().create_session(
            idempotency_key=f"payment-{payment.pk}",
            order_ref=order_ref,
            amount=amount,
            return_url=return_url.replace(PAYMENT_ID, str(payment.pk)),
            cardholder_name=str(name)[:100] if name else None,
        )
    except GatewayError as exc:
        raise ProcessorUnavailable(UNAVAILABLE) from exc
    if payment.processor_reference is None:
        # First answer wins, in one conditional write (reference and page address together):
        # a concurrent start of the same payment that lost the race reads the winner's.
        redirect_url = session.pay_url if len(session.pay_url) <= 500 else payment.redirect_url
        if _claim_session(payment, reference=session.reference, redirect_url=redirect_url):
            payment.processor_reference = session.reference
            payment.redirect_url = redirect_url
        else:
            payment.refresh_from_db()
    if payment.processor_reference != session.reference:
        raise PaymentConflict("The processor returned a different payment session; try again.")
    if payment.redirect_url != session.pay_url and len(session.pay_url) <= 500:
        Payment.objects.filter(pk=payment.pk).update(redirect_url=session.pay_url)
        payment.redirect_url = session.pay_url
    return PaymentStart(payment=payment, redirect_url=session.pay_url)


# Written out: every checkout runs it, and the ORM's compile step of a conditional update cost
# more CPU than the statement (decision 0023).
_CLAIM_SQL = (
    "UPDATE payments_payment SET processor_reference = %s, redirect_url = %s "
    "WHERE id = %s AND processor_reference IS NULL"
)


def _claim_session(payment: Payment, *, reference: str, redirect_url: str) -> bool:
    """Record the processor's session on a payment that has none yet; False if another start
    of the same payment recorded its session first."""
    connection = connections[router.db_for_write(Payment)]
    pk = Payment._meta.pk.get_db_prep_value(payment.pk, connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [reference, redirect_url, pk])
        return cursor.rowcount == 1


def confirm_payment(*, payment_id: uuid.UUID | str, signed_reference: str) -> Payment:
    """Check the reference the browser brought back, then ask the processor what happened.

    A reference without the processor's signature, or for another payment, raises PaymentError
    and changes nothing. Confirming twice is harmless: a settled payment is returned as is.
    """
    gateway = get_gateway()
    reference = gateway.verify_return(signed_reference)
    try:
        pk = uuid.UUID(str(payment_id))
    except ValueError:
        raise PaymentError(INVALID_REFERENCE) from None
    payment = Payment.objects.filter(pk=pk).first() if reference else None
    if reference is None or payment is None or payment.processor_reference != reference:
        raise PaymentError(INVALID_REFERENCE)
    if payment.status != Status.CREATED:
        return payment
    try:
        session: ProcessorSession | None = gateway.fetch(reference)
    except GatewayTimeout:
        session = None
    except GatewayError as exc:
        raise ProcessorUnavailable(UNAVAILABLE) from exc
    if session is not None and session.status == "open":
        raise PaymentError("The payment has not been completed on the payment page yet.")
    return _record_outcome(payment, session)


def _record_outcome(payment: Payment, session: ProcessorSession | None) -> Payment:
    """Write what the processor said on a payment still `created` (once: a payment already
    settled by a concurrent caller is returned as that caller left it)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Status.CREATED:
            return locked
        _apply_outcome(locked, session)
        locked.save()
        record(
            actor=None,
            action=f"payment.{locked.status}",
            target=locked,
            detail={"amount": str(locked.amount)},
        )
    return locked


def ask_processor(*, payment: Payment, close: bool) -> Payment:
    """What became of a payment whose customer has not come back: the store asks instead of
    waiting for the return page (reconciliation). With `close`, the payment page is closed
    first if the customer has not paid yet (the order's hold is over), so that a card
    submitted at that moment either was taken before (and the payment is authorized) or is
    refused by the processor: never money taken for an order the store released.

    A payment still open at the processor (and not closed) is returned unchanged; so is one
    the processor cannot be asked about now (ProcessorUnavailable is raised)."""
    if payment.status != Status.CREATED or not payment.processor_reference:
        return payment
    gateway = get_gateway()
    try:
        if close:
            session = gateway.expire(payment.processor_reference)
        else:
            session = gateway.fetch(payment.processor_reference)
    except GatewayError as exc:
        raise ProcessorUnavailable(UNAVAILABLE) from exc
    if session.status == "open":
        return payment
    return _record_outcome(payment, session)


def sync_with_processor(*, payment: Payment) -> Payment:
    """Bring the payment up to what the processor says about it now (a webhook arrived).

    The processor's current state decides, never a webhook's payload: events can arrive late,
    twice or out of order, but asking answers with the latest state, and each step below only
    moves a payment forward (waiting -> authorized; captured and refunded amounts only grow;
    an authorization becomes voided), so an old event applied after a newer one changes
    nothing. A payment still waiting is decided by `_record_outcome`, as the return page and
    reconciliation decide it; a change made at the processor and not here (a capture, refund
    or void the store did not ask for, or whose answer it lost) is taken over and audited.
    ProcessorUnavailable: nothing changed; the processor sends the event again later."""
    if not payment.processor_reference:
        return payment
    try:
        session = get_gateway().fetch(payment.processor_reference)
    except GatewayError as exc:
        raise ProcessorUnavailable(UNAVAILABLE) from exc
    if payment.status == Status.CREATED:
        if session.status == "open":
            return payment
        payment = _record_outcome(payment, session)
    if payment.status not in (Status.AUTHORIZED, Status.CAPTURED, Status.REFUNDED):
        return payment
    return _follow_processor(payment, session)


def _follow_processor(payment: Payment, session: ProcessorSession) -> Payment:
    """Take over captures, refunds and a void the processor has and this payment has not."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if (session.amount, session.order_ref) != (locked.amount, str(locked.order_ref)):
            return locked  # not this payment's session: nothing to take over
        changes: list[tuple[str, Decimal]] = []
        if session.status == "voided" and locked.status == Status.AUTHORIZED:
            locked.status = Status.VOIDED
            changes.append(("payment.voided", locked.authorized_amount))
        captured = min(session.captured_amount, locked.authorized_amount)
        if locked.status != Status.VOIDED and captured > locked.captured_amount:
            changes.append(("payment.captured", captured - locked.captured_amount))
            locked.captured_amount = captured
            locked.status = Status.CAPTURED
        refunded = min(session.refunded_amount, locked.captured_amount)
        if refunded > locked.refunded_amount:
            changes.append(("payment.refunded", refunded - locked.refunded_amount))
            locked.refunded_amount = refunded
            if refunded == locked.captured_amount:
                locked.status = Status.REFUNDED
        if not changes:
            return locked
        locked.save()
        for action, amount in changes:
            record(
                actor=None,
                action=action,
                target=locked,
                detail={"amount": str(amount), "source": "processor"},
            )
    return locked


def _apply_outcome(payment: Payment, session: ProcessorSession | None) -> None:
    if session is None:
        payment.status, payment.message = Status.FAILED, TIMEOUT_MESSAGE
        return
    if session.status in ("authorized", "captured", "refunded"):
        if (session.amount, session.currency, session.order_ref) != (
            payment.amount,
            "USD",
            str(payment.order_ref),
        ):
            payment.status = Status.FAILED
            payment.message = "The processor's record does not match this order; nothing taken."
            return
        payment.status = Status.AUTHORIZED
        payment.processor_token = session.token or ""
        payment.brand = (session.brand or "")[:20]
        payment.last4 = session.last4 or ""
        payment.exp_month, payment.exp_year = session.exp_month, session.exp_year
        payment.authorized_amount = session.authorized_amount
        payment.message = ""
    elif session.status == "declined":
        payment.status, payment.message = Status.DECLINED, session.message or DECLINED_MESSAGE
        payment.brand, payment.last4 = (session.brand or "")[:20], session.last4 or ""
    elif session.status == "timeout":
        payment.status, payment.message = Status.FAILED, TIMEOUT_MESSAGE
    else:
        payment.status = Status.FAILED
        payment.message = session.message or "The payment did not go through. No money was taken."


def capture(*, payment: Payment, actor: User | None) -> Payment:
    """Charge the authorized amount (on shipment). Capturing a captured payment is a no-op."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status in (Status.CAPTURED, Status.REFUNDED):
            return locked
        if locked.status != Status.AUTHORIZED:
            raise PaymentConflict(
                f"Only an authorized payment can be captured; this one is {locked.status}."
            )
        try:
            session = get_gateway().capture(str(locked.processor_reference))
        except GatewayError as exc:
            raise ProcessorUnavailable(
                "The payment processor did not capture the payment; nothing changed. Try again."
            ) from exc
        locked.captured_amount = min(session.captured_amount, locked.authorized_amount)
        locked.status = Status.CAPTURED
        locked.save()
        record(
            actor=actor,
            action="payment.captured",
            target=locked,
            detail={"amount": str(locked.captured_amount)},
        )
    return locked


def refund(
    *,
    payment: Payment,
    amount: Decimal,
    actor: User | None,
    idempotency_key: str | None = None,
) -> Payment:
    """Give money back; all refunds together never exceed what was captured.

    The row lock (SQLite: the transaction's write lock) makes concurrent refunds take turns,
    so the second sees the first's amount; the processor and a CHECK constraint hold the same
    rule on their side. `idempotency_key`: the processor's key for this refund, for a caller
    that may repeat the same refund after a failure (the processor then refunds once); a
    fresh one by default.
    """
    amount = _amount(amount)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (Status.CAPTURED, Status.REFUNDED):
            raise PaymentConflict(
                f"Only a captured payment can be refunded; this one is {locked.status}."
            )
        left = locked.captured_amount - locked.refunded_amount
        if amount > left:
            raise PaymentConflict(
                f"A refund of {format_usd(amount)} is more than the {format_usd(left)} "
                "left to refund on this payment."
            )
        try:
            get_gateway().refund(
                str(locked.processor_reference),
                amount=amount,
                idempotency_key=idempotency_key or f"refund-{uuid.uuid4()}",
            )
        except GatewayError as exc:
            raise ProcessorUnavailable(
                "The payment processor did not make the refund; nothing changed. Try again."
            ) from exc
        locked.refunded_amount += amount
        if locked.refunded_amount == locked.captured_amount:
            locked.status = Status.REFUNDED
        locked.save()
        record(
            actor=actor, action="payment.refunded", target=locked, detail={"amount": str(amount)}
        )
    return locked


# What `void_or_refund` left the payment as, by its status.
GIVEN_BACK = {
    Status.VOIDED: "voided",
    Status.REFUNDED: "refunded",
}


def void_or_refund(*, payment: Payment, actor: User | None) -> tuple[Payment, str]:
    """Give back whatever the payment holds, because its order was cancelled before shipment.

    By the payment's status: an authorization is voided at the processor (the card holder's
    bank releases the hold; nothing is ever taken); a capture is refunded in full, through
    `refund`; a payment whose customer is still on the payment page has that page closed
    first (`ask_processor`), and if the card went through in that same moment, the new
    authorization is voided. A declined, failed, voided or refunded payment holds nothing and
    is returned as it is, so calling this again (a retried cancellation) changes nothing.

    Returns the payment and what became of the money: "voided", "refunded" or
    "nothing_taken". Each change is audited like a capture or a refund. A processor that
    cannot be reached raises ProcessorUnavailable and nothing here is changed: the caller's
    cancellation must not go through with the money still held."""
    if payment.status == Status.CREATED:
        payment = ask_processor(payment=payment, close=True)
    if payment.status == Status.AUTHORIZED:
        payment = _void(payment=payment, actor=actor)
    if payment.status == Status.CAPTURED:
        locked = Payment.objects.get(pk=payment.pk)
        if locked.refundable_amount > 0:
            payment = refund(
                payment=locked,
                amount=locked.refundable_amount,
                actor=actor,
                # One key per payment: a cancellation retried after a lost commit must not
                # refund the capture twice at the processor.
                idempotency_key=f"cancel-refund-{payment.pk}",
            )
    return payment, GIVEN_BACK.get(Status(payment.status), "nothing_taken")


def _void(*, payment: Payment, actor: User | None) -> Payment:
    """Release an authorization that was never captured, under the payment's row lock (a
    capture at the same moment takes its turn and then finds the payment voided)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Status.AUTHORIZED:
            return locked  # captured or voided meanwhile: the caller goes on from there
        try:
            session = get_gateway().void(str(locked.processor_reference))
        except GatewayError as exc:
            raise ProcessorUnavailable(
                "The payment processor did not release the payment; nothing changed. Try again."
            ) from exc
        if session.status != "voided":
            raise PaymentConflict(
                f"The payment processor reports this payment as {session.status}; nothing changed."
            )
        locked.status = Status.VOIDED
        locked.save()
        record(
            actor=actor,
            action="payment.voided",
            target=locked,
            detail={"amount": str(locked.authorized_amount)},
        )
    return locked
