"""The warehouse queue and packing slip: only delivery fields, only for fulfilment (C3.2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.audit.models import AuditEntry
from lookout.orders import services
from lookout.orders.models import Order, Status
from lookout.orders.testing import GUEST_EMAIL, RECIPIENT, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners")]


def _paid(days_ago: int = 0) -> Order:
    order = place()
    services.mark_paid(order=order, payment_id=uuid.uuid4())
    if days_ago:
        Order.objects.filter(pk=order.pk).update(
            ship_by=timezone.localdate() - timedelta(days=days_ago)
        )
    order.refresh_from_db()
    return order


@pytest.mark.commitment("C1.6", "C3.2")
def test_queue_lists_paid_orders_oldest_ship_by_first_and_marks_late(staff) -> None:
    # Given a fresh paid order, a late one and an unpaid one
    fresh = _paid()
    late = _paid(days_ago=2)
    unpaid = place()
    _, client = staff("warehouse")
    # When the warehouse opens the queue
    page = client.get("/orders/warehouse/").content.decode()
    # Then the late order comes first, marked late; the unpaid one is absent; no names
    assert page.index(late.number) < page.index(fresh.number)
    assert "LATE" in page
    assert unpaid.number not in page
    assert RECIPIENT not in page and GUEST_EMAIL not in page


@pytest.mark.commitment("C3.2", "C4.3", "C4.4")
def test_packing_slip_shows_name_address_phone_never_email_and_is_audited(staff) -> None:
    order = _paid()
    clerk, client = staff("warehouse")
    page = client.get(f"/orders/warehouse/{order.id}/slip/")
    text = page.content.decode()
    assert page.status_code == 200
    assert RECIPIENT in text and "MOUNTAIN VIEW" in text and "+16505550123" in text
    assert GUEST_EMAIL not in text
    entry = AuditEntry.objects.filter(action="reveal", actor_ref=str(clerk.subject)).get()
    assert entry.purpose == "fulfilment"
    assert sorted(entry.fields) == [
        "orders.Delivery.address",
        "orders.Delivery.name",
        "orders.Delivery.phone",
    ]


@pytest.mark.commitment("C3.2", "C4.3")
@pytest.mark.parametrize(
    "role", ["after_sales", "finance", "privacy_officer", "catalog_manager", "administrator"]
)
def test_other_roles_get_404_and_nothing_is_read_or_changed(staff, role: str) -> None:
    order = _paid()
    _, client = staff(role)
    before = AuditEntry.objects.filter(action="reveal").count()
    assert client.get("/orders/warehouse/").status_code == 404
    assert client.get(f"/orders/warehouse/{order.id}/slip/").status_code == 404
    assert client.post(f"/orders/warehouse/{order.id}/processing/").status_code == 404
    assert AuditEntry.objects.filter(action="reveal").count() == before
    order.refresh_from_db()
    assert order.status == Status.PAID


def test_customer_and_anonymous_cannot_open_the_queue(client) -> None:
    from lookout.accounts.services import create_account

    assert client.get("/orders/warehouse/").status_code == 302  # to sign-in
    customer = create_account(email="c@example.com", password="a-long-passphrase-1")
    client.force_login(customer)
    assert client.get("/orders/warehouse/").status_code == 404


def test_start_picking_records_the_clerk(staff) -> None:
    order = _paid()
    clerk, client = staff("warehouse")
    response = client.post(f"/orders/warehouse/{order.id}/processing/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.PROCESSING
    last = order.events.last()
    assert last is not None and last.actor_ref == str(clerk.subject)
