"""Shipping an order: label through sharing.disclose, capture, signed tracking webhooks."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.orders.fulfilment import ship_order
from lookout.orders.models import Order, OrderEvent, Status
from lookout.orders.payment import begin_payment, finish_payment
from lookout.orders.testing import GUEST_EMAIL, place
from lookout.orders.testing import pay_on_sandbox as pay
from lookout.shipping.carrier import SandboxCarrier
from lookout.shipping.models import Shipment, TrackingEvent
from lookout.shipping.webhooks import HEADER, sandbox_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]
URL = "/shipping/webhooks/carrier/"


def paid_order() -> Order:
    order = place()
    back = pay(begin_payment(order=order, return_url="/checkout/return/x/"))
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    from urllib.parse import unquote

    order, failure = finish_payment(order=order, signed_reference=unquote(ref))
    assert order.status == Status.PAID, failure
    return order


@pytest.fixture
def shipped(staff) -> tuple[Order, Shipment]:
    clerk, _ = staff("warehouse")
    order = paid_order()
    return order, ship_order(order=order, actor=clerk)


@pytest.mark.commitment("C5.3", "C3.5")
def test_shipping_captures_creates_label_without_email_and_tells_the_buyer(staff) -> None:
    from lookout.payments.models import Payment
    from lookout.sharing.models import Disclosure

    clerk, _ = staff("warehouse")
    order = paid_order()
    sent: dict = {}

    class Recording(SandboxCarrier):
        def create_label(self, *, order):
            label = super().create_label(order=order)
            sent.update(label.sent)
            return label

    shipment = ship_order(order=order, actor=clerk, carrier=Recording())
    order.refresh_from_db()
    assert order.status == Status.SHIPPED
    assert order.payment_id is not None
    assert Payment.objects.get(pk=order.payment_id).status == "captured"
    assert set(sent) == {"name", "address", "phone"}
    assert GUEST_EMAIL not in json.dumps(sent)
    disclosure = Disclosure.objects.filter(subject=order.subject, purpose="delivery").get()
    assert "orders.Delivery.email" not in disclosure.fields
    assert shipment.tracking_number.startswith("SBX")
    steps = list(OrderEvent.objects.filter(order=order).values_list("to_status", "actor_ref"))
    assert steps[-2:] == [("processing", str(clerk.subject)), ("shipped", str(clerk.subject))]
    assert Message.objects.filter(dedupe_key=f"order:{order.id}:shipped").exists()


@pytest.mark.commitment("C5.2", "C4.4")
def test_carrier_with_expired_agreement_gets_nothing_and_the_refusal_is_audited(staff) -> None:
    from lookout.sharing.errors import DisclosureRefused
    from lookout.sharing.models import DataAgreement, Disclosure

    clerk, _ = staff("warehouse")
    order = paid_order()
    today = timezone.localdate()
    DataAgreement.objects.filter(partner__kind="carrier").update(
        signed_on=today - timedelta(days=400), expires_on=today - timedelta(days=1)
    )
    with pytest.raises(DisclosureRefused):
        ship_order(order=order, actor=clerk)
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert not Shipment.objects.exists()
    assert not Disclosure.objects.filter(purpose="delivery").exists()
    assert AuditEntry.objects.filter(
        action="disclosure", outcome="refused", subject_ref=str(order.subject)
    ).exists()


def test_unpaid_order_cannot_ship(staff) -> None:
    clerk, _ = staff("warehouse")
    order = place()
    from lookout.orders.services import InvalidTransition

    with pytest.raises(InvalidTransition):
        ship_order(order=order, actor=clerk)
    assert not Shipment.objects.exists()


@pytest.mark.commitment("C3.5")
def test_signed_webhooks_move_parcel_in_transit_then_delivered(shipped) -> None:
    order, shipment = shipped
    client = Client()
    for status in ("in_transit", "delivered"):
        body, signature = sandbox_webhook(tracking_number=shipment.tracking_number, status=status)
        response = client.post(
            URL, body, content_type="application/json", headers={HEADER: signature}
        )
        assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == Status.DELIVERED
    assert Message.objects.filter(dedupe_key=f"order:{order.id}:in_transit").exists()
    assert Message.objects.filter(dedupe_key=f"order:{order.id}:delivered").exists()


def _snapshot(order: Order) -> tuple:
    order.refresh_from_db()
    return (order.status, TrackingEvent.objects.count(), Message.objects.count())


def test_bad_tampered_or_replayed_webhooks_get_401_and_change_nothing(shipped) -> None:
    order, shipment = shipped
    client = Client()
    body, signature = sandbox_webhook(tracking_number=shipment.tracking_number, status="delivered")
    old_body, old_sig = sandbox_webhook(
        tracking_number=shipment.tracking_number,
        status="delivered",
        at=timezone.now() - timedelta(hours=1),
    )
    before = _snapshot(order)
    attempts = [
        (body, ""),
        (body, "t=1,v1=00"),
        (body.replace(b"delivered", b"in_transit"), signature),  # body changed after signing
        (body, signature.replace("v1=", "v1=0")),
        (old_body, old_sig),  # too old to be fresh
    ]
    for payload, header in attempts:
        response = client.post(
            URL, payload, content_type="application/json", headers={HEADER: header}
        )
        assert response.status_code == 401, (payload, header)
        assert _snapshot(order) == before
    # The genuine one works once; the same again is a replay
    ok = client.post(URL, body, content_type="application/json", headers={HEADER: signature})
    assert ok.status_code == 200
    after = _snapshot(order)
    replay = client.post(URL, body, content_type="application/json", headers={HEADER: signature})
    assert replay.status_code == 401
    assert _snapshot(order) == after


def test_signed_but_malformed_body_gets_400(shipped) -> None:
    from lookout.shipping.webhooks import sign

    client = Client()
    for body in (b"not json", json.dumps({"event_id": str(uuid.uuid4())}).encode()):
        header = sign(body=body, timestamp=int(timezone.now().timestamp()))
        response = client.post(URL, body, content_type="application/json", headers={HEADER: header})
        assert response.status_code == 400
    assert not TrackingEvent.objects.exists()
