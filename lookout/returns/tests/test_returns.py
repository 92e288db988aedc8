"""Returns: the 60-day window, the free label through the carrier, each step's inbox message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.orders.guest import guest_path
from lookout.orders.testing import GUEST_EMAIL, RECIPIENT
from lookout.returns import services
from lookout.returns.models import ReturnRequest, ReturnStatus
from lookout.returns.testing import delivered_order, request_all
from lookout.returns.window import ReturnWindowClosed, check_window, closes_on
from lookout.sharing.models import Disclosure

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

DELIVERED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday


def _statuses(ret: ReturnRequest) -> list[str]:
    return list(ret.events.values_list("to_status", flat=True))


@pytest.mark.commitment("C1.7")
def test_window_accepts_day_60_and_refuses_day_61_with_the_closing_date() -> None:
    delivered = date(2026, 3, 2)
    assert closes_on(delivered) == date(2026, 5, 1)
    assert check_window(number="LK-X", delivered_on=delivered, today=date(2026, 5, 1))
    with pytest.raises(ReturnWindowClosed) as refused:
        check_window(number="LK-X", delivered_on=delivered, today=date(2026, 5, 2))
    assert "closed on Friday 01 May 2026" in refused.value.message
    assert refused.value.status_code == 409


@pytest.mark.commitment("C1.7")
def test_window_length_is_a_setting(settings) -> None:
    settings.LOOKOUT_RETURN_WINDOW_DAYS = 90
    assert closes_on(date(2026, 3, 2)) == date(2026, 5, 31)


@pytest.mark.commitment("C1.7", "C3.3", "C3.5", "C5.3")
def test_day_60_return_gets_a_free_label_through_the_carrier_and_messages(staff) -> None:
    clerk, _ = staff("warehouse")
    order = delivered_order(clerk, at=DELIVERED)
    before = Disclosure.objects.filter(subject=order.subject).count()
    # When the guest asks for a return on day 60
    ret = request_all(order, note="The night vision is too dim", today=date(2026, 5, 1))
    # Then it is registered and the carrier issued a label, knowing name, address, phone only
    assert ret.status == ReturnStatus.LABEL_ISSUED
    assert ret.tracking_number.startswith("SBX")
    assert ret.amount == Decimal("80.00")
    assert ret.window_closes_on == date(2026, 5, 1)
    label = Disclosure.objects.filter(subject=order.subject).order_by("at").last()
    assert Disclosure.objects.filter(subject=order.subject).count() == before + 1
    assert label is not None and label.purpose == "delivery"
    assert sorted(label.fields) == [
        "orders.Delivery.address",
        "orders.Delivery.name",
        "orders.Delivery.phone",
    ]
    assert _statuses(ret) == ["requested", "label_issued"]
    keys = set(Message.objects.filter(subject=order.subject).values_list("dedupe_key", flat=True))
    assert {f"return:{ret.id}:requested", f"return:{ret.id}:label_issued"} <= keys
    # And the note is stored sealed, never in plaintext
    from lookout.testing.raw import raw_rows

    rows = raw_rows("returns_returnrequest")
    assert rows and "night vision" not in repr(rows)


@pytest.mark.commitment("C1.7")
def test_day_61_is_refused_with_the_reason_and_nothing_is_written(staff) -> None:
    clerk, _ = staff("warehouse")
    order = delivered_order(clerk, at=DELIVERED)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ReturnWindowClosed) as refused:
        request_all(order, today=date(2026, 5, 2))
    assert "return window closed on Friday 01 May 2026" in refused.value.message
    assert not ReturnRequest.objects.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.commitment("C1.7")
def test_partial_return_and_never_more_units_than_bought(staff) -> None:
    clerk, _ = staff("warehouse")
    order = delivered_order(clerk, quantity=3)
    line = order.lines.get()
    first = services.request_return(
        order=order, quantities={line.pk: 2}, reason="damaged", note="", actor=None, guest=True
    )
    assert first.amount == Decimal("160.00")
    with pytest.raises(services.ReturnRefused) as refused:
        services.request_return(
            order=order, quantities={line.pk: 2}, reason="damaged", note="", actor=None
        )
    assert "at most 1" in refused.value.message
    assert ReturnRequest.objects.count() == 1


def test_undelivered_orders_bad_reasons_and_empty_choices_are_refused(staff) -> None:
    from lookout.returns.testing import paid_order

    order = paid_order()
    line = order.lines.get()
    with pytest.raises(services.ReturnRefused, match="not been delivered"):
        services.request_return(
            order=order, quantities={line.pk: 1}, reason="damaged", note="", actor=None
        )
    clerk, _ = staff("warehouse")
    delivered = delivered_order(clerk)
    line = delivered.lines.get()
    for quantities, reason, message in [
        ({line.pk: 1}, "bored", "reason"),
        ({line.pk: 0}, "damaged", "at least one"),
        ({line.pk: -1}, "damaged", "whole number"),
        ({999999: 1}, "damaged", "not part of this order"),
    ]:
        with pytest.raises(services.ReturnRefused, match=message):
            services.request_return(
                order=delivered, quantities=quantities, reason=reason, note="", actor=None
            )
    assert not ReturnRequest.objects.exists()


@pytest.mark.commitment("C3.5")
def test_each_step_sends_an_inbox_message_and_rejection_carries_its_reason(staff) -> None:
    clerk, _ = staff("warehouse")
    agent, _ = staff("after_sales")
    order = delivered_order(clerk)
    ret = request_all(order)
    services.mark_in_transit(ret=ret)
    services.receive_return(ret=ret, actor=clerk)
    with pytest.raises(services.ReturnRefused, match="personal data"):
        services.reject_return(ret=ret, reason="call me on +1 650 555 0199 please", actor=agent)
    services.reject_return(ret=ret, reason="The camera was returned without its lens.", actor=agent)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REJECTED
    assert ret.refund.status == "cancelled"
    assert _statuses(ret) == ["requested", "label_issued", "in_transit", "received", "rejected"]
    from lookout.access import reveal
    from lookout.core.purposes import Purpose

    rejected = Message.objects.get(dedupe_key=f"return:{ret.id}:rejected")
    body = reveal(rejected, ["body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["body"]
    assert "returned without its lens" in body
    with pytest.raises(services.InvalidReturnTransition):
        services.receive_return(ret=ret, actor=clerk)


@pytest.mark.commitment("C1.7", "C5.2")
def test_carrier_without_agreement_leaves_the_request_for_after_sales(staff) -> None:
    from lookout.sharing.models import DataAgreement

    clerk, _ = staff("warehouse")
    agent, _ = staff("after_sales")
    order = delivered_order(clerk)
    DataAgreement.objects.filter(partner__kind="carrier").delete()
    ret = request_all(order)
    assert ret.status == ReturnStatus.REQUESTED
    refusal = AuditEntry.objects.filter(action="disclosure", outcome="refused").last()
    assert refusal is not None and refusal.subject_ref == str(order.subject)
    from lookout.orders.demo import ensure_partners

    ensure_partners()
    assert services.issue_label(ret=ret, actor=agent).status == ReturnStatus.LABEL_ISSUED


def test_guest_requests_a_return_through_the_signed_link(staff) -> None:
    clerk, _ = staff("warehouse")
    order = delivered_order(clerk)
    line = order.lines.get()
    client = Client(enforce_csrf_checks=True)
    url = guest_path(order=order).replace("/orders/guest/", "/returns/guest/")
    assert client.get(url).status_code == 200
    # A wrong number shows nothing of the order
    wrong = client.post(url, {"number": "LK-WRONG123"})
    assert wrong.status_code == 404 and line.name not in wrong.content.decode()
    page = client.post(url, {"number": order.number})
    assert page.status_code == 200 and line.name in page.content.decode()
    done = client.post(
        url,
        {
            "number": order.number,
            "action": "request",
            f"qty_{line.pk}": "1",
            "reason": "defective",
            "note": "It does not switch on",
        },
    )
    text = done.content.decode()
    assert done.status_code == 200, text
    ret = ReturnRequest.objects.get(order=order)
    assert ret.number in text and "It does not switch on" in text
    assert ret.events.values_list("actor_ref", flat=True)[0] == "guest"
    assert RECIPIENT not in text and GUEST_EMAIL not in text
    bad = client.post(url, {"number": order.number, "action": "request", "reason": "x"})
    assert bad.status_code == 400
    assert ReturnRequest.objects.count() == 1


def test_signed_in_customer_returns_their_order_and_another_gets_404(staff) -> None:
    from lookout.accounts.services import create_account

    clerk, _ = staff("warehouse")
    buyer = create_account(email="buyer@example.com", password="a-long-passphrase-1")
    other = create_account(email="other@example.com", password="a-long-passphrase-1")
    order = delivered_order(clerk, user=buyer)
    line = order.lines.get()
    mine, theirs = Client(), Client()
    mine.force_login(buyer)
    theirs.force_login(other)
    form = {f"qty_{line.pk}": "1", "reason": "changed_mind", "note": ""}
    assert theirs.get(f"/returns/order/{order.number}/").status_code == 404
    assert theirs.post(f"/returns/order/{order.number}/", form).status_code == 404
    assert not ReturnRequest.objects.exists()
    assert mine.get(f"/returns/order/{order.number}/").status_code == 200
    response = mine.post(f"/returns/order/{order.number}/", form)
    ret = ReturnRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/returns/{ret.number}/"
    assert mine.get(f"/returns/{ret.number}/").status_code == 200
    assert theirs.get(f"/returns/{ret.number}/").status_code == 404
    assert Client().get(f"/returns/{ret.number}/").status_code == 302  # to sign in


@pytest.mark.commitment("C1.7")
def test_day_61_on_the_page_says_why_and_when(staff, settings) -> None:
    from lookout.accounts.services import create_account

    clerk, _ = staff("warehouse")
    buyer = create_account(email="late@example.com", password="a-long-passphrase-1")
    order = delivered_order(clerk, user=buyer, at=datetime.now(UTC) - timedelta(days=61))
    line = order.lines.get()
    client = Client()
    client.force_login(buyer)
    response = client.post(
        f"/returns/order/{order.number}/",
        {f"qty_{line.pk}": "1", "reason": "changed_mind"},
    )
    assert response.status_code == 409
    assert "return window closed on" in response.content.decode()
    assert not ReturnRequest.objects.exists()


@pytest.mark.commitment("C1.7")
def test_the_carriers_signed_scan_moves_a_return_parcel_in_transit_once(staff) -> None:
    from lookout.shipping.models import TrackingEvent
    from lookout.shipping.webhooks import HEADER, sandbox_webhook

    # Given a return with its free label issued
    clerk, _ = staff("warehouse")
    ret = request_all(delivered_order(clerk))
    assert ret.status == ReturnStatus.LABEL_ISSUED and ret.tracking_number
    client = Client()
    body, signature = sandbox_webhook(tracking_number=ret.tracking_number, status="in_transit")
    # When the carrier's signed scan arrives
    response = client.post(
        "/shipping/webhooks/carrier/", body, content_type="application/json",
        headers={HEADER: signature},
    )  # fmt: skip
    # Then the return is in transit, with its tracking event
    assert response.status_code == 200, response.content
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.IN_TRANSIT
    assert TrackingEvent.objects.filter(return_ref=ret.pk, shipment=None).count() == 1
    # And the same scan replayed is refused and changes nothing
    replay = client.post(
        "/shipping/webhooks/carrier/", body, content_type="application/json",
        headers={HEADER: signature},
    )  # fmt: skip
    assert replay.status_code == 401
    assert TrackingEvent.objects.filter(return_ref=ret.pk).count() == 1
