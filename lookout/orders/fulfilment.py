"""Handing an order to the carrier: the warehouse's ship action.

Order of steps, and why: the label first (the only step that can be refused by policy, when
the carrier has no valid agreement, and it writes nothing on the order), then the capture
(the customer is charged on shipment), then the status. All in one transaction with the
order row locked, so two clicks on "ship" make one parcel and one charge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from lookout.orders import services
from lookout.orders.models import Order, Status
from lookout.orders.payment import capture_for
from lookout.shipping.carrier import Carrier, Label, default_carrier
from lookout.shipping.models import Shipment

if TYPE_CHECKING:
    from lookout.accounts.models import User


def ship_order(*, order: Order, actor: User, carrier: Carrier | None = None) -> Shipment:
    from lookout.sharing.errors import DisclosureRefused

    refused: DisclosureRefused | None = None
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in (Status.PAID, Status.PROCESSING):
            raise services.InvalidTransition(locked.status, Status.SHIPPED)
        try:
            label = (carrier or default_carrier()).create_label(order=locked)
        except DisclosureRefused as error:
            # Commit the refusal's audit entry (nothing else was written), then raise.
            refused = error
        else:
            return _ship(order=locked, label=label, actor=actor)
    raise refused


def _ship(*, order: Order, label: Label, actor: User) -> Shipment:
    if order.status == Status.PAID:
        services.transition(order=order, to=Status.PROCESSING, actor=actor)
    shipment = Shipment.objects.create(
        order=order, carrier=label.carrier, tracking_number=label.tracking_number
    )
    capture_for(order=order, actor=actor)
    services.transition(
        order=order,
        to=Status.SHIPPED,
        actor=actor,
        note=f"Carrier: {label.carrier}. Tracking number: {label.tracking_number}.",
    )
    return shipment
