"""Buy again: the lines of an order that did not go through, back into a cart (issue 20).

An order that expired unpaid, was cancelled or whose payment failed gave its stock back; the
buyer told so in their inbox (or on the guest link's page) can put the same items back in a
cart in one step, at today's prices and as far as they can still be bought (the cart's
`refill` decides, and says what did not come back). Lives in orders, which may use the cart;
the cart knows nothing of orders.
"""

from __future__ import annotations

from lookout.cart import services as cart_services
from lookout.core.errors import Conflict, NotFound
from lookout.orders.models import Order, Status

MAY_BUY_AGAIN = (Status.EXPIRED, Status.CANCELLED, Status.PAYMENT_FAILED)


class CannotBuyAgain(Conflict):
    """The order is still going ahead: its items are on their way, not to be bought again."""


def buy_again(*, order: Order, cart_token: str = "") -> tuple[str, list[str]]:
    """Refill the visitor's cart (the one `cart_token` opens, or a new one when it opens none)
    with the order's lines. Returns the cart's token and what the visitor is told."""
    if order.status not in MAY_BUY_AGAIN:
        raise CannotBuyAgain(
            f"Order {order.number} is {Status(order.status).label.lower()}; only an order that "
            "was cancelled, not paid in time or whose payment failed can be bought again."
        )
    try:
        cart = cart_services.get_cart(token=cart_token)
    except NotFound:  # no cart yet, or one that expired: a new one
        cart, cart_token = cart_services.open_cart()
    results = cart_services.refill(
        cart=cart,
        wanted=[
            cart_services.Wanted(line.product_id, line.quantity, line.unit_price)
            for line in order.lines.all()
        ],
    )
    added = sum(r.added for r in results)
    if added == 0:
        head = f"Nothing from order {order.number} could be put back in your cart."
    elif all(r.added == r.wanted for r in results):
        head = f"The items of order {order.number} are in your cart, at today's prices."
    else:
        head = f"Some items of order {order.number} are back in your cart, at today's prices."
    return cart_token, [head, *cart_services.refill_notes(results)]
