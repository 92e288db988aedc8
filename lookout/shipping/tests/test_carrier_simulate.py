"""`lookout carrier simulate`: the sandbox carrier moves a shipped parcel through its signed
tracking webhook, as the real carrier would (issue 20, item 6)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.orders.fulfilment import ship_order
from lookout.orders.models import Order, Status
from lookout.returns.testing import paid_order
from lookout.shipping.models import Shipment, TrackingEvent, TrackingStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


def _simulate(number: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("carrier", "simulate", number, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def shipped(staff) -> Order:
    clerk, _ = staff("warehouse")
    order = paid_order()
    ship_order(order=order, actor=clerk)
    order.refresh_from_db()
    return order


def test_simulate_delivers_a_shipped_order_through_the_signed_webhook(shipped: Order) -> None:
    # when
    output = _simulate(shipped.number.lower(), "--to", "delivered")
    # then: the update went through the webhook's path: event, order, audit entry, message
    shipped.refresh_from_db()
    shipment = Shipment.objects.get(order=shipped)
    event = TrackingEvent.objects.get(shipment=shipment)
    assert (shipped.status, shipment.status) == (Status.DELIVERED, TrackingStatus.DELIVERED)
    assert event.status == TrackingStatus.DELIVERED and event.event_id in output
    assert shipped.delivered_at == event.occurred_at
    assert AuditEntry.objects.filter(action="order.delivered", detail__number=shipped.number)
    assert Message.objects.filter(dedupe_key=f"order:{shipped.id}:delivered").exists()


def test_simulate_in_transit_then_delivered(shipped: Order) -> None:
    # when
    _simulate(shipped.number, "--to", "in_transit")
    shipped.refresh_from_db()
    in_transit = shipped.status
    _simulate(shipped.number)  # delivered is the default
    # then
    shipped.refresh_from_db()
    assert (in_transit, shipped.status) == (Status.SHIPPED, Status.DELIVERED)
    assert list(
        TrackingEvent.objects.filter(shipment__order=shipped).values_list("status", flat=True)
    ) == ["in_transit", "delivered"]
    assert Message.objects.filter(dedupe_key=f"order:{shipped.id}:in_transit").exists()


def test_simulate_refuses_an_order_that_is_not_shipped() -> None:
    # given: paid, not yet handed to the carrier
    order = paid_order()
    # when
    with pytest.raises(CommandError, match="not shipped") as refused:
        _simulate(order.number)
    # then
    order.refresh_from_db()
    assert order.number in str(refused.value)
    assert order.status == Status.PAID
    assert not TrackingEvent.objects.exists()


def test_simulate_refuses_a_delivered_order(shipped: Order) -> None:
    # given
    _simulate(shipped.number)
    # when / then: delivered already is not shipped; the carrier sends nothing more
    with pytest.raises(CommandError, match="is delivered, not shipped"):
        _simulate(shipped.number)
    assert TrackingEvent.objects.count() == 1


def test_simulate_refuses_an_unknown_order() -> None:
    with pytest.raises(CommandError, match="There is no order LK-NOSUCH2"):
        _simulate("LK-NOSUCH2")


@override_settings(PRODUCTION=True)
def test_simulate_refuses_in_production_before_reading_the_order(shipped: Order) -> None:
    # when / then
    with pytest.raises(CommandError, match="not available in production"):
        _simulate(shipped.number)
    shipped.refresh_from_db()
    assert shipped.status == Status.SHIPPED and not TrackingEvent.objects.exists()
