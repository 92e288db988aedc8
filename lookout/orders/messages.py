"""The words of the inbox message sent for each status change (C3.5).

Built from non-personal facts only (order number, status, dates, tracking number); the message
is sealed under the buyer's key by the inbox anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lookout.orders.models import Order

_TEXT = {
    "placed": (
        "We received your order",
        "Thank you. Your order {number} for {total} is waiting for payment.",
    ),
    "paid": (
        "Payment received",
        "Your payment for order {number} ({total}) is authorised. We will hand your parcel to "
        "the carrier by {ship_by} (1 to 3 business days). Shipping is free.",
    ),
    "processing": (
        "We are preparing your order",
        "Our warehouse is picking and packing order {number}.",
    ),
    "shipped": (
        "Your order is on its way",
        "Order {number} was handed to the carrier. Your card was charged {total}.",
    ),
    "delivered": (
        "Delivered",
        "The carrier reports order {number} as delivered. Returns are free for 60 days.",
    ),
    "cancelled": ("Order cancelled", "Order {number} was cancelled."),
    "payment_failed": (
        "Payment did not go through",
        "The payment for order {number} did not go through, so the order was not placed "
        "and you were not charged. You can try again from your cart.",
    ),
    "expired": (
        "Order released",
        "Order {number} was not paid in time, so we put its items back on sale. You were not "
        "charged. You are welcome to order again.",
    ),
}


# A cancellation's note: who cancelled, then what became of the payment. Fixed wording chosen
# by the code (it goes into the plain-text order history and the buyer's message); a staff
# member's reason never does (it is sealed, see orders.models.Cancellation).
CANCELLED_BY = {
    "customer": "Cancelled at your request.",
    "after_sales": "Cancelled by our customer service team.",
    "store": "Cancelled by the store.",
}
PAYMENT_GIVEN_BACK = {
    "voided": "The authorisation on your card was released: you were not charged.",
    "refunded": "The {amount} charged to your card was refunded in full.",
    "nothing_taken": "You were not charged.",
}


def cancellation_note(*, by: str, payment: str, refunded: str = "") -> str:
    """The history note and message lines of a cancellation (at most 200 characters)."""
    return f"{CANCELLED_BY[by]} {PAYMENT_GIVEN_BACK[payment].format(amount=refunded)}"


def message_for(*, order: Order, note: str = "") -> tuple[str, str]:
    from lookout.core.money import format_usd

    title, body = _TEXT[order.status]
    text = body.format(
        number=order.number,
        total=format_usd(order.total),
        ship_by=order.ship_by.strftime("%A %d %B %Y") if order.ship_by else "",
    )
    if note:
        text += f"\n\n{note}"
    if order.status == "expired":
        text += f"\n\n{buy_again_hint(order)}"
    return f"{title} — order {order.number}", text


def buy_again_hint(order: Order) -> str:
    """Where the buyer of a released order finds "Buy again": the order's page. A signed-in
    buyer reads this in their inbox, which makes the address a link; a guest reads it on the
    guest link's page, under the button."""
    if order.user_id is None:
        return 'To put the same items back in a cart, use "Buy again" on this page.'
    from django.conf import settings
    from django.urls import reverse

    site = str(getattr(settings, "LOOKOUT_SITE_URL", "")).rstrip("/")
    page = site + reverse("orders:detail", args=[order.number])
    return f'To put the same items back in your cart, open the order and choose "Buy again": {page}'
