"""`lookout demo` leaves demo orders in every state of an order's life, each with the records
a real order has, and a second run adds nothing (issue 20, item 6)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.orders.demo import DEMO_KEY_PREFIX, GUESTS
from lookout.orders.models import Order, OrderEvent, Status
from lookout.payments.models import Payment
from lookout.returns.models import Refund, RefundStatus, ReturnRequest, ReturnStatus
from lookout.returns.window import check_window
from lookout.sharing.models import Disclosure
from lookout.shipping.models import TrackingEvent
from lookout.testing.staff import client_past_second_factor
from lookout.vault.blind_index import email_index

pytestmark = pytest.mark.django_db


def _demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def _demo_orders() -> dict[str, Order]:
    orders = Order.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX)
    return {o.idempotency_key.removeprefix(DEMO_KEY_PREFIX): o for o in orders}


def _payment(order: Order) -> Payment:
    assert order.payment_id is not None
    return Payment.objects.get(pk=order.payment_id)


def _warehouse_client() -> Client:
    from lookout.orders.demo import demo_user

    return client_past_second_factor(demo_user("warehouse@example.com"))


def test_demo_leaves_an_order_in_every_state_each_with_its_history_audit_and_messages():
    # when
    _demo()
    # then: every order status, and a returned and a refunded order
    orders = _demo_orders()
    assert {o.status for o in orders.values()} == set(Status.values)
    returns = {r.status: r for r in ReturnRequest.objects.select_related("order")}
    assert {ReturnStatus.RECEIVED, ReturnStatus.REFUNDED} <= set(returns)
    assert Refund.objects.filter(
        ret=returns[ReturnStatus.REFUNDED], status=RefundStatus.SETTLED
    ).exists()
    assert Refund.objects.filter(
        ret=returns[ReturnStatus.RECEIVED], status=RefundStatus.PENDING
    ).exists()
    assert any(o.user_id is None for o in orders.values())  # guests too
    assert len({o.user_id for o in orders.values() if o.user_id}) == 2  # Ann and Ben
    # each status change has its event, its audit entry and the buyer's inbox message
    for order in orders.values():
        events = list(OrderEvent.objects.filter(order=order))
        assert events[0].from_status == "" and events[-1].to_status == order.status
        for event in events:
            assert AuditEntry.objects.filter(
                action=f"order.{event.to_status}", detail__number=order.number
            ).exists(), (order.number, event.to_status)
            assert Message.objects.filter(
                subject=order.subject, dedupe_key=f"order:{order.id}:{event.to_status}"
            ).exists(), (order.number, event.to_status)
        # the cardholder name went to the processor through a recorded disclosure
        assert Disclosure.objects.filter(
            partner__kind="payment_processor", target__endswith=str(order.delivery.pk)
        ).exists()
    for ret in returns.values():
        for status in ret.events.values_list("to_status", flat=True):
            assert AuditEntry.objects.filter(
                action=f"return.{status}", detail__number=ret.number
            ).exists()
            assert Message.objects.filter(dedupe_key=f"return:{ret.id}:{status}").exists()


def test_demo_orders_carry_the_lifecycle_dates_a_shop_would_show():
    # when
    _demo()
    orders = _demo_orders()
    today = timezone.localdate()
    # then: the late order is paid, past its ship-by date, and marked late on the warehouse's
    # queue; the delivered one came through the carrier's webhook and can still be returned
    late = orders["late"]
    assert late.status == Status.PAID and late.ship_by is not None and late.ship_by < today
    assert late.is_late()
    page = _warehouse_client().get(reverse("orders:warehouse")).content.decode()
    assert f'<tr class="late-row" data-number="{late.number}">' in page
    assert f'<tr data-number="{orders["paid"].number}">' in page  # on time: not marked
    delivered = orders["delivered"]
    assert delivered.status == Status.DELIVERED and delivered.delivered_at is not None
    assert (
        check_window(
            number=delivered.number, delivered_on=timezone.localdate(delivered.delivered_at)
        )
        > today
    )
    assert list(
        TrackingEvent.objects.filter(shipment__order=delivered).values_list("status", flat=True)
    ) == ["in_transit", "delivered"]
    assert Disclosure.objects.filter(
        partner__kind="carrier", target__endswith=str(delivered.delivery.pk)
    ).exists()
    # money: captured when shipped, voided when cancelled before shipping, refunded on return
    assert _payment(delivered).status == Payment.Status.CAPTURED
    assert _payment(orders["cancelled"]).status == Payment.Status.VOIDED
    assert _payment(orders["refunded"]).status == Payment.Status.REFUNDED
    # invented people only: every guest order is sent to one of the demo's example.com addresses
    invented = {email_index(e) for e in GUESTS if e.endswith("@example.com")}
    guests = [o for o in orders.values() if o.user_id is None]
    assert guests and all(o.delivery.email_index in invented for o in guests)


def test_running_demo_twice_adds_nothing():
    # given
    _demo()
    counted = (Order, OrderEvent, AuditEntry, Message, Disclosure, Payment, ReturnRequest, Refund)
    before = [model.objects.count() for model in counted]
    # when
    second = _demo()
    # then
    assert [model.objects.count() for model in counted] == before
    assert "order late: already there" in second


@override_settings(PRODUCTION=True)
def test_demo_orders_and_returns_refuse_in_production():
    from lookout.orders import demo as orders_demo
    from lookout.returns import demo as returns_demo

    # when / then
    for load in (orders_demo.load_orders, returns_demo.load):
        with pytest.raises(orders_demo.DemoRefused, match="never created in production"):
            load(progress=lambda line: None)
    assert not Order.objects.exists()
