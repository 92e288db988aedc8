"""Writes on returns: requesting one, its label, and each later step (C1.7, C3.3, C3.5).

Every step runs in one transaction with the return row locked, and writes the return event,
the audit entry and the customer's inbox message with the change, so a status never moves
without its record. The refund side (due date, settling) is in `lookout.returns.refunds`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from lookout.audit.services import record
from lookout.core.errors import Conflict, LookoutError
from lookout.core.logging import mask_text
from lookout.core.money import usd
from lookout.inbox.services import send_message
from lookout.orders.models import Order, OrderLine
from lookout.orders.models import Status as OrderStatus
from lookout.returns.messages import message_for
from lookout.returns.models import (
    TRANSITIONS,
    Reason,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
)
from lookout.returns.window import check_window
from lookout.vouchers.services import paid_for

if TYPE_CHECKING:
    from lookout.accounts.models import User
    from lookout.shipping.carrier import Carrier

NOTE_MAX = 1000
NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class ReturnRefused(LookoutError):
    """The return cannot be requested as asked (400); the message says why, nothing written."""


class InvalidReturnTransition(Conflict):
    def __init__(self, current: str, wanted: str):
        super().__init__(
            f"This return is {ReturnStatus(current).label.lower()} and cannot become "
            f"{ReturnStatus(wanted).label.lower()}."
        )


def actor_ref(actor: User | None, *, guest: bool = False) -> str:
    if actor is not None and actor.is_authenticated:
        return str(actor.subject)
    return "guest" if guest else "system"


def _lock(ret: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().select_related("order").get(pk=ret.pk)


def move(*, ret: ReturnRequest, to: str, actor: User | None, who: str = "") -> ReturnRequest:
    """Move a locked return to `to`: timestamps, event, audit entry and inbox message."""
    if to not in TRANSITIONS[ret.status]:
        raise InvalidReturnTransition(ret.status, to)
    before, now = ret.status, timezone.now()
    ret.status = to
    if to == ReturnStatus.RECEIVED:
        ret.received_at = now
    elif to in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED):
        ret.closed_at = now
    ret.save()
    _record(ret=ret, from_status=before, actor=actor, who=who)
    return ret


def _record(*, ret: ReturnRequest, from_status: str, actor: User | None, who: str = "") -> None:
    ReturnEvent.objects.create(
        ret=ret, from_status=from_status, to_status=ret.status, actor_ref=who or actor_ref(actor)
    )
    record(
        actor=actor,
        action=f"return.{ret.status}",
        subject=ret.subject,
        target=ret,
        detail={"number": ret.number, "order": ret.order.number, "from": from_status or None},
    )
    title, body = message_for(ret=ret)
    send_message(
        subject=ret.subject,
        kind="order_update",
        title=title,
        body=body,
        dedupe_key=f"return:{ret.id}:{ret.status}",
    )


# --- requesting a return ----------------------------------------------------------------------


def returned_quantities(*, order: Order) -> dict[int, int]:
    """{order line id: units already in a return that was not rejected}."""
    rows = (
        ReturnLine.objects.filter(ret__order=order)
        .exclude(ret__status=ReturnStatus.REJECTED)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["order_line_id"]: int(row["units"]) for row in rows}


def _chosen_lines(order: Order, quantities: Mapping[int, int]) -> list[tuple[OrderLine, int]]:
    lines = {line.pk: line for line in order.lines.all()}
    already = returned_quantities(order=order)
    chosen: list[tuple[OrderLine, int]] = []
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise ReturnRefused("One of the items is not part of this order.")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ReturnRefused("Each quantity must be a whole number, 0 or more.")
        left = line.quantity - already.get(line_id, 0)
        if quantity > left:
            raise ReturnRefused(
                f"You can return at most {left} of {line.name} (you bought {line.quantity}"
                f"{', some are already in another return' if left < line.quantity else ''})."
            )
        if quantity:
            chosen.append((line, quantity))
    if not chosen:
        raise ReturnRefused("Choose at least one item to return.")
    return chosen


def _paid_amounts(order: Order, chosen: list[tuple[OrderLine, int]]) -> dict[int, Decimal]:
    """{order line id: what the buyer paid for the units going back}: the unit price times the
    units, less their part of the line's share of a discount code (`vouchers.services.paid_for`,
    counted on from the units already in other returns, so that every unit of a line, returned
    in any number of returns, gives back exactly what the line cost after its discount)."""
    before = returned_quantities(order=order) if any(ln.discount for ln, _ in chosen) else {}
    return {
        line.pk: paid_for(
            line_total=line.line_total,
            discount=line.discount,
            quantity=line.quantity,
            returning=qty,
            before=before.get(line.pk, 0),
        )
        for line, qty in chosen
    }


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise ReturnRefused(f"The note is too long: at most {NOTE_MAX} characters.")
    return text or None


def _new_number() -> str:
    for _ in range(10):
        number = "RT-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
        if not ReturnRequest.objects.filter(number=number).exists():
            return number
    raise RuntimeError("Could not find a free return number.")  # 31**8: practically never


def request_return(
    *,
    order: Order,
    quantities: Mapping[int, int],
    reason: str,
    note: str | None,
    actor: User | None,
    guest: bool = False,
    today: date | None = None,
    carrier: Carrier | None = None,
) -> ReturnRequest:
    """Register a return of some or all items of a delivered order, inside the 60-day window
    (C1.7), then ask the carrier for the free return label.

    The label is a second step in its own transaction: if the carrier may not receive data
    today (no agreement in force), the request stays registered and after-sales retries.
    """
    if reason not in Reason.values:
        raise ReturnRefused("Choose the reason for the return from the list.")
    clean_note = _clean_note(note)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.DELIVERED or order.delivered_at is None:
            raise ReturnRefused(
                f"Order {order.number} has not been delivered yet; a return can be requested "
                "once it has arrived."
            )
        delivered_on = timezone.localdate(order.delivered_at)
        last_day = check_window(number=order.number, delivered_on=delivered_on, today=today)
        chosen = _chosen_lines(order, quantities)
        paid = _paid_amounts(order, chosen)
        amount = usd(sum(paid.values(), Decimal(0)))
        ret = ReturnRequest(
            number=_new_number(),
            order=order,
            subject=order.subject,
            reason=reason,
            note=clean_note,
            amount=amount,
            window_closes_on=last_day,
        )
        ret.save(force_insert=True)
        for line, qty in chosen:
            ReturnLine.objects.create(ret=ret, order_line=line, quantity=qty, amount=paid[line.pk])
        _record(ret=ret, from_status="", actor=actor, who=actor_ref(actor, guest=guest))
    from lookout.sharing.errors import DisclosureRefused

    try:
        return issue_label(ret=ret, actor=None, carrier=carrier)
    except DisclosureRefused:
        return ReturnRequest.objects.get(pk=ret.pk)


def issue_label(
    *, ret: ReturnRequest, actor: User | None, carrier: Carrier | None = None
) -> ReturnRequest:
    """Get the prepaid return label: the carrier receives the pickup name, address and phone
    through `sharing.disclose` (purpose DELIVERY, the one a carrier's job has; C5.3)."""
    from lookout.sharing.errors import DisclosureRefused
    from lookout.shipping.carrier import default_carrier

    refused: DisclosureRefused | None = None
    with transaction.atomic():
        locked = _lock(ret)
        if locked.status != ReturnStatus.REQUESTED:
            raise InvalidReturnTransition(locked.status, ReturnStatus.LABEL_ISSUED)
        try:
            label = (carrier or default_carrier()).create_label(order=locked.order)
        except DisclosureRefused as error:
            refused = error  # commit the refusal's audit entry; nothing else was written
        else:
            locked.carrier, locked.tracking_number = label.carrier[:100], label.tracking_number
            return move(ret=locked, to=ReturnStatus.LABEL_ISSUED, actor=actor)
    raise refused


@transaction.atomic
def mark_in_transit(*, ret: ReturnRequest, actor: User | None = None) -> ReturnRequest:
    """The carrier scanned the return parcel. Calling it again changes nothing."""
    locked = _lock(ret)
    if locked.status == ReturnStatus.IN_TRANSIT:
        return locked
    return move(ret=locked, to=ReturnStatus.IN_TRANSIT, actor=actor)


@transaction.atomic
def receive_return(*, ret: ReturnRequest, actor: User) -> ReturnRequest:
    """The warehouse has the parcel: the refund is created, due in 10 business days (C1.8)."""
    from lookout.returns.refunds import open_refund

    locked = _lock(ret)
    if ReturnStatus.RECEIVED not in TRANSITIONS[locked.status]:
        raise InvalidReturnTransition(locked.status, ReturnStatus.RECEIVED)
    # The refund first: the "received" message the move sends tells its amount and due day.
    open_refund(ret=locked)
    return move(ret=locked, to=ReturnStatus.RECEIVED, actor=actor)


@transaction.atomic
def accept_return(*, ret: ReturnRequest, actor: User) -> ReturnRequest:
    """Inspection found the items as described: the refund goes to finance for payment."""
    locked = _lock(ret)
    move(ret=locked, to=ReturnStatus.INSPECTED, actor=actor)
    return move(ret=locked, to=ReturnStatus.REFUND_PENDING, actor=actor)


def clean_rejection(reason: str) -> str:
    text = " ".join((reason or "").split())
    if len(text) < 10:
        raise ReturnRefused("Write the reason the customer will read (at least 10 characters).")
    if len(text) > 300:
        raise ReturnRefused("The reason is too long: at most 300 characters.")
    if mask_text(text) != text:
        raise ReturnRefused(
            "The reason looks like it holds personal data (an email, phone or card number); "
            "describe the items instead."
        )
    return text


@transaction.atomic
def reject_return(*, ret: ReturnRequest, reason: str, actor: User) -> ReturnRequest:
    """Refuse the return with a reason the customer reads; a refund not yet paid is cancelled."""
    from lookout.returns.models import Refund, RefundStatus

    text = clean_rejection(reason)
    locked = _lock(ret)
    if ReturnStatus.REJECTED not in TRANSITIONS[locked.status]:
        raise InvalidReturnTransition(locked.status, ReturnStatus.REJECTED)
    locked.rejection_reason = text
    Refund.objects.filter(ret=locked, status=RefundStatus.PENDING).update(
        status=RefundStatus.CANCELLED
    )
    return move(ret=locked, to=ReturnStatus.REJECTED, actor=actor)
