"""The words of the inbox message sent at each step of a return (C3.5).

Built from non-personal facts only (return and order numbers, amounts, dates, the tracking
number, the rejection sentence staff wrote for the customer); the inbox seals them anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lookout.returns.models import ReturnRequest

_TEXT = {
    "requested": (
        "We received your return request",
        "Your return {number} for order {order} ({amount}) is registered. Returns are free: "
        "we are asking the carrier for a prepaid return label.",
    ),
    "label_issued": (
        "Your free return label",
        "Your prepaid return label for return {number} is ready: carrier {carrier}, tracking "
        "number {tracking}. Pack the items and hand the parcel to {carrier}.",
    ),
    "in_transit": (
        "Your return is on its way",
        "The carrier has your parcel for return {number} (tracking number {tracking}).",
    ),
    "received": (
        "We received your return",
        "Your return {number} arrived at our warehouse. Your refund of {amount} is due by "
        "{due} (within 10 business days).",
    ),
    "inspected": (
        "Your return passed inspection",
        "We checked the items of return {number}: everything is in order.",
    ),
    "refund_pending": (
        "Your refund is being paid",
        "We are refunding {amount} for return {number} to the card you paid with, by {due}.",
    ),
    "refunded": (
        "Refund paid",
        "We refunded {amount} for return {number} to the card you paid with. Depending on "
        "your bank it shows on your statement within a few days.",
    ),
    "rejected": (
        "Your return was not accepted",
        "We could not accept return {number}. The reason: {rejection}",
    ),
}


def message_for(*, ret: ReturnRequest) -> tuple[str, str]:
    from lookout.core.money import format_usd

    refund = getattr(ret, "refund", None) if ret.status != "requested" else None
    due = refund.due_on.strftime("%A %d %B %Y") if refund is not None else ""
    title, body = _TEXT[ret.status]
    text = body.format(
        number=ret.number,
        order=ret.order.number,
        amount=format_usd(refund.amount if refund is not None else ret.amount),
        carrier=ret.carrier,
        tracking=ret.tracking_number,
        due=due,
        rejection=ret.rejection_reason,
    )
    return f"{title} — return {ret.number}", text
