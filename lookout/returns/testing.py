"""Builders shared by the returns and staff tests (a plain module, never imported by the
product): a delivered order paid through the sandbox processor, and a return at any step."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from lookout.orders.models import Order, Status
from lookout.orders.testing import make_product, place
from lookout.orders.testing import pay_on_sandbox as pay


def paid_order(*, quantity: int = 1, user: Any = None, **product: Any) -> Order:
    import secrets

    from lookout.orders.payment import begin_payment, finish_payment
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart

    item = make_product(**product)
    if quantity == 1:
        order = place(item, user=user)
    else:
        cart, _ = make_cart(item, quantity)
        order = place_order(
            cart=cart,
            delivery=details(**({"email": None} if user else {})),
            idempotency_key=secrets.token_urlsafe(16),
            user=user,
        )
    back = pay(begin_payment(order=order, return_url="/checkout/return/x/"))
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    order, failure = finish_payment(order=order, signed_reference=unquote(ref))
    assert order.status == Status.PAID, failure
    return order


def delivered_order(
    clerk: Any, *, at: datetime | None = None, quantity: int = 1, user: Any = None, **product: Any
) -> Order:
    """Shipped by `clerk` (label, capture) and delivered at `at` (now by default)."""
    from lookout.orders.fulfilment import ship_order
    from lookout.orders.services import mark_delivered

    order = paid_order(quantity=quantity, user=user, **product)
    ship_order(order=order, actor=clerk)
    return mark_delivered(order=order, at=at)


def request_all(order: Order, *, reason: str = "changed_mind", **kw: Any):
    from lookout.returns.services import request_return

    return request_return(
        order=order,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        reason=reason,
        note=kw.pop("note", None),
        actor=kw.pop("actor", order.user),
        **kw,
    )


@pytest.fixture
def dispute_vendor(db: None) -> Any:
    from lookout.orders.demo import ensure_partner

    return ensure_partner(name="Fair Resolve Ltd", kind="dispute_resolution")
