"""Demo returns: a delivered order whose parcel came back to the warehouse (its refund due),
and one whose refund was paid back to the card (C1.7, C1.8).

Each is made the way the customer, the carrier, the warehouse, after-sales and finance would
make it, through the returns services and the carrier's signed webhook, on a demo order
delivered through `lookout.orders.demo`. DEMO ONLY, refused in production; idempotent: a
demo order already there (by its fixed idempotency key) is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lookout.orders import demo as orders_demo
from lookout.orders.models import Order
from lookout.returns.models import Reason, Refund, ReturnRequest
from lookout.returns.refunds import settle_refund
from lookout.returns.services import accept_return, receive_return, request_return


def _sent_back(name: str, *, buyer: str, **kw: Any) -> ReturnRequest:
    """Delivered; the customer asks to return everything and gets the carrier's label; the
    carrier scans the parcel on its way back (a signed webhook); the warehouse receives it,
    which opens the refund, due 10 business days later."""
    from lookout.shipping.simulate import send_update

    order = orders_demo.delivered(name, buyer=buyer, **kw)
    guest = buyer in orders_demo.GUESTS
    ret = request_return(
        order=order,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        reason=Reason.CHANGED_MIND,
        note=None,
        actor=None if guest else orders_demo.demo_user(buyer),
        guest=guest,
    )
    if not ret.tracking_number:
        raise orders_demo.DemoRefused(f"Demo return of {name} got no label from the carrier.")
    send_update(tracking_number=ret.tracking_number, status="in_transit")
    return receive_return(ret=ret, actor=orders_demo.demo_user("warehouse@example.com"))


def _returned(name: str, **kw: Any) -> Order:
    return _sent_back(name, **kw).order


def _refunded(name: str, **kw: Any) -> Order:
    """Returned, inspected and accepted by after-sales, and the refund settled by finance."""
    ret = _sent_back(name, **kw)
    ret = accept_return(ret=ret, actor=orders_demo.demo_user("after-sales@example.com"))
    refund = Refund.objects.get(ret=ret)
    settle_refund(refund=refund, actor=orders_demo.demo_user("finance@example.com"))
    return ret.order


def _state(order: Order) -> str:
    ret = ReturnRequest.objects.filter(order=order).first()
    return f"{order.status}, return {ret.status}" if ret else order.status


SCENARIOS: dict[str, tuple[Callable[..., Order], str]] = {
    "returned": (_returned, "ann@example.com"),
    "refunded": (_refunded, "greta.guest@example.com"),
}


def load(*, progress: Callable[[str], None]) -> None:
    orders_demo.refuse_in_production()
    with orders_demo.sandbox_processor():
        for name, (how, buyer) in SCENARIOS.items():
            orders_demo.make(name, how, buyer=buyer, progress=progress, state=_state)
