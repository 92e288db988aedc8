"""What each queue shows, and through which purpose it was read (C4.3, C4.4, C5.3)."""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.orders.testing import GUEST_EMAIL, PHONE, RECIPIENT
from lookout.returns import services
from lookout.returns.models import Dispute, ReturnRequest
from lookout.returns.testing import delivered_order, request_all
from lookout.sharing.models import Disclosure
from lookout.testing.staff import client_past_second_factor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("partners", "policies", "dispute_vendor"),
]
STREET = "1600 Amphitheatre"


def _as(role: str) -> tuple[User, Client]:
    user = create_account(email=f"{role}@example.com", password="staff-long-pass-1", role=role)
    client = client_past_second_factor(user)
    return user, client


@pytest.fixture
def received(partners: None, policies: None) -> tuple[User, object]:
    clerk, _ = _as(Role.WAREHOUSE)
    ret = request_all(delivered_order(clerk), note="The mount is cracked")
    services.receive_return(ret=ret, actor=clerk)
    return clerk, ReturnRequest.objects.get(pk=ret.pk)


@pytest.mark.commitment("C4.3", "C4.4", "C3.3")
@pytest.mark.usefixtures("received")
def test_after_sales_sees_contact_and_note_for_after_sales_never_payment_data() -> None:
    agent, client = _as(Role.AFTER_SALES)
    page = client.get("/staff/after-sales/").content.decode()
    assert RECIPIENT in page and GUEST_EMAIL in page and "The mount is cracked" in page
    assert STREET not in page and PHONE not in page and "ps_" not in page
    reads = AuditEntry.objects.filter(actor_ref=str(agent.subject), action="reveal")
    assert {e.purpose for e in reads} == {"after_sales"}
    assert {f for e in reads for f in e.fields} == {
        "orders.Delivery.name",
        "orders.Delivery.email",
        "returns.ReturnRequest.note",
    }


@pytest.mark.commitment("C4.3", "C1.8")
def test_finance_sees_amounts_and_references_never_an_address_or_name(received) -> None:
    _, ret = received
    finance, client = _as(Role.FINANCE)
    page = client.get("/staff/finance/").content.decode()
    assert ret.number in page and "ps_" in page and "80.00" in page
    for personal in (RECIPIENT, GUEST_EMAIL, STREET, PHONE, "The mount is cracked"):
        assert personal not in page
    assert not AuditEntry.objects.filter(actor_ref=str(finance.subject), action="reveal").exists()


@pytest.mark.commitment("C4.3")
def test_warehouse_sees_items_and_tracking_only() -> None:
    clerk, client = _as(Role.WAREHOUSE)
    other = request_all(delivered_order(clerk))
    page = client.get("/staff/warehouse/").content.decode()
    assert other.number in page and other.tracking_number in page
    for personal in (RECIPIENT, GUEST_EMAIL, STREET, PHONE):
        assert personal not in page
    assert not AuditEntry.objects.filter(actor_ref=str(clerk.subject), action="reveal").exists()


@pytest.mark.commitment("C4.3")
def test_administrator_sees_staff_emails_masked_and_partners() -> None:
    admin, client = _as(Role.ADMINISTRATOR)
    _as(Role.FINANCE)
    page = client.get("/staff/administrator/").content.decode()
    assert "finance@example.com" not in page and "f•••@e•••.com" in page
    assert "Sandbox Parcel Co." in page and "Fair Resolve Ltd" in page
    entry = AuditEntry.objects.filter(actor_ref=str(admin.subject), action="reveal").get()
    assert entry.purpose == "account_security" and entry.detail["masked"]


@pytest.mark.commitment("C4.3", "C4.4")
def test_audit_log_lists_pseudonymous_ids_and_no_personal_data(received) -> None:
    _, ret = received
    _, agent_client = _as(Role.AFTER_SALES)
    agent_client.get("/staff/after-sales/")
    _, client = _as(Role.PRIVACY_OFFICER)
    page = client.get("/staff/privacy/audit/", {"subject": str(ret.subject)}).content.decode()
    assert str(ret.subject) in page and "After-sales" in page
    for personal in (RECIPIENT, GUEST_EMAIL, STREET, PHONE, "@example.com"):
        assert personal not in page


@pytest.mark.commitment("C5.3", "C5.4", "C4.3")
def test_a_dispute_sends_the_vendor_name_and_email_only(received) -> None:
    _, ret = received
    agent, client = _as(Role.AFTER_SALES)
    response = client.post(
        "/staff/disputes/", {"order": ret.order.number, "reason": "not_as_described"}
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.partner.kind == "dispute_resolution"
    assert dispute.opened_by_ref == str(agent.subject)
    sent = Disclosure.objects.get(partner=dispute.partner)
    assert sorted(sent.fields) == ["orders.Delivery.email", "orders.Delivery.name"]
    assert sent.purpose == "after_sales"
    # A bad order number or reason is a clear 4xx; nothing is sent
    for data in ({"order": "LK-NOPE", "reason": "damaged"}, {"order": ret.order.number}):
        bad = client.post("/staff/disputes/", data)
        assert bad.status_code == 400 and "Nothing was changed" in bad.content.decode()
    assert (
        Dispute.objects.count() == 1
        and Disclosure.objects.filter(partner=dispute.partner).count() == 1
    )


@pytest.mark.commitment("C4.3")
def test_staff_actions_refused_in_the_wrong_state_change_nothing(received) -> None:
    _, ret = received
    _, client = _as(Role.FINANCE)
    refund = ret.refund
    response = client.post(f"/staff/refunds/{refund.id}/settle/")
    assert response.status_code == 409
    assert "after-sales has accepted" in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == "pending"
    _, agent = _as(Role.AFTER_SALES)
    short = agent.post(f"/staff/returns/{ret.id}/reject/", {"reason": "no"})
    assert short.status_code == 400
    ret.refresh_from_db()
    assert ret.status == "received"
