"""What a refund promises, seen from outside (C1.8): what was paid for the returned items and
never more than the payment has left, due 10 business days after the parcel arrived (the
policy's 5-10), paid back to the order's own payment once, and told to the audit log and the
customer in the exact words and figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from lookout.access import reveal
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders.models import Order
from lookout.payments.models import Payment
from lookout.payments.services import refund as refund_at_the_console
from lookout.returns import services
from lookout.returns.models import Refund, RefundStatus, ReturnRequest, ReturnStatus
from lookout.returns.refunds import RefundRefused, open_refund, settle_refund
from lookout.returns.testing import delivered_order
from lookout.returns.window import refund_due_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

Staff = Callable[[str], Any]


def _order(staff: Staff, *, quantity: int = 1, price: str = "10.00", **kw: Any) -> Order:
    clerk, _ = staff("warehouse")
    return delivered_order(clerk, quantity=quantity, price=Decimal(price), **kw)


def _request(order: Order, units: int = 1) -> ReturnRequest:
    line = order.lines.get()
    return services.request_return(
        order=order, quantities={line.pk: units}, reason="changed_mind", note=None, actor=None
    )


def _receive(staff: Staff, ret: ReturnRequest) -> ReturnRequest:
    clerk, _ = staff("warehouse")
    services.receive_return(ret=ret, actor=clerk)
    return ReturnRequest.objects.get(pk=ret.pk)


def _returned(staff: Staff, order: Order, units: int = 1) -> ReturnRequest:
    return _receive(staff, _request(order, units))


def _accepted(staff: Staff, ret: ReturnRequest) -> ReturnRequest:
    agent, _ = staff("after_sales")
    services.accept_return(ret=ret, actor=agent)
    return ReturnRequest.objects.get(pk=ret.pk)


def _payment(order: Order) -> Payment:
    """The payment the order names (not any other payment made for it)."""
    payment_id = Order.objects.get(pk=order.pk).payment_id
    assert payment_id is not None
    return Payment.objects.get(pk=payment_id)


def _hand_refund(order: Order, amount: str) -> None:
    """Someone gave money back at the processor's console, outside any return."""
    refund_at_the_console(payment=_payment(order), amount=Decimal(amount), actor=None)


def _entries(action: str, refund: Refund | None = None) -> list[AuditEntry]:
    found = AuditEntry.objects.filter(action=action)
    if refund is not None:
        found = found.filter(target=f"returns.Refund:{refund.pk}")
    return list(found)


def _body(ret: ReturnRequest, step: str) -> str:
    message = Message.objects.get(dedupe_key=f"return:{ret.id}:{step}")
    return str(reveal(message, ["body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["body"])


def _business_days_between(start: date, end: date) -> int:
    holidays = {date.fromisoformat(d) for d in django_settings.LOOKOUT_WAREHOUSE_HOLIDAYS}
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            days += 1
    return days


# --- opening: the amount, the due date, the audit entry, the customer's message -------------


def test_a_received_return_owes_what_its_items_cost_due_in_ten_business_days(staff) -> None:
    order = _order(staff, quantity=3, price="49.99")
    ret = _returned(staff, order, units=1)
    refund = Refund.objects.get(ret=ret)
    received_on = timezone.localdate(ret.received_at)
    # The price of the one camera sent back, to the order's own payment
    assert refund.amount == Decimal("49.99")
    assert refund.payment_id == order.payment_id
    assert refund.status == RefundStatus.PENDING and refund.settled_at is None
    # Due on the 10th business day after the parcel arrived: inside the policy's 5-10
    assert _business_days_between(received_on, refund.due_on) == 10
    # The audit log names the customer (pseudonymously), the refund, the amount and the day
    (created,) = _entries("refund.created")
    assert created.actor_ref == "system"
    assert created.subject_ref == str(order.subject) == str(ret.subject)
    assert created.target == f"returns.Refund:{refund.pk}"
    assert created.detail == {"amount": "49.99", "due_on": refund.due_on.isoformat()}


@pytest.mark.commitment("C3.5")
def test_the_receipt_message_tells_the_refunds_amount_and_due_day(staff) -> None:
    order = _order(staff)
    _hand_refund(order, "9.99")
    ret = _returned(staff, order)
    refund = Refund.objects.get(ret=ret)
    assert _body(ret, "received") == (
        f"Your return {ret.number} arrived at our warehouse. Your refund of $0.01 is due by "
        f"{refund.due_on:%A %d %B %Y} (within 10 business days)."
    )


def test_the_due_date_counts_from_the_day_the_parcel_arrived_not_the_day_it_is_written(
    staff, settings
) -> None:
    settings.LOOKOUT_WAREHOUSE_HOLIDAYS = []  # so 3 days earlier is always another due day
    # Given a return whose parcel arrived three days ago
    order = _order(staff, at=timezone.now() - timedelta(days=20))
    ret = _request(order)
    arrived = timezone.now() - timedelta(days=3)
    ReturnRequest.objects.filter(pk=ret.pk).update(
        status=ReturnStatus.RECEIVED, received_at=arrived
    )
    # When its refund is written today
    refund = open_refund(ret=ReturnRequest.objects.get(pk=ret.pk))
    # Then it is due 10 business days after the day of arrival, not after today
    assert refund.due_on == refund_due_on(timezone.localdate(arrived))
    assert refund.due_on != refund_due_on(timezone.localdate())
    (created,) = _entries("refund.created", refund)
    assert created.detail["due_on"] == refund.due_on.isoformat()


def test_another_orders_refunds_still_due_take_nothing_from_this_one(staff) -> None:
    first, second = _order(staff, price="49.99"), _order(staff, price="49.99")
    _returned(staff, first)
    ret = _returned(staff, second)
    assert Refund.objects.get(ret=ret).amount == Decimal("49.99")
    assert Refund.objects.get(ret=ret).payment_id == second.payment_id


def test_a_settled_refund_counts_once_and_a_cancelled_one_not_at_all(staff) -> None:
    finance, _ = staff("finance")
    agent, _ = staff("after_sales")
    # Two units at $10.00: the first return is refunded, the second rejected
    order = _order(staff, quantity=2)
    paid = _accepted(staff, _returned(staff, order))
    settle_refund(refund=Refund.objects.get(ret=paid), actor=finance)
    rejected = _returned(staff, order)
    services.reject_return(
        ret=rejected, reason="The lens cap was missing and scratched.", actor=agent
    )
    assert Refund.objects.get(ret=rejected).status == RefundStatus.CANCELLED
    # The unit sent back again is refunded in full: $20.00 - $10.00 refunded, nothing due
    again = _returned(staff, order)
    assert Refund.objects.get(ret=again).amount == Decimal("10.00")


def test_a_refund_is_capped_at_what_the_payment_has_left_to_the_cent(staff) -> None:
    finance, _ = staff("finance")
    order = _order(staff)
    _hand_refund(order, "9.99")
    ret = _accepted(staff, _returned(staff, order))
    refund = Refund.objects.get(ret=ret)
    assert refund.amount == Decimal("0.01")
    assert f"refunding $0.01 for return {ret.number}" in _body(ret, "refund_pending")
    settle_refund(refund=refund, actor=finance)
    payment = _payment(order)
    assert payment.refunded_amount == Decimal("10.00") == payment.captured_amount
    assert payment.status == Payment.Status.REFUNDED
    # The customer is told the capped amount, not what the items cost
    assert f"We refunded $0.01 for return {ret.number}" in _body(
        ReturnRequest.objects.get(pk=ret.pk), "refunded"
    )


def test_nothing_left_to_refund_is_refused_saying_what_is_refunded_or_due(staff) -> None:
    # Given $20.00 paid, $15.00 given back at the console and a $5.00 refund still due
    order = _order(staff, quantity=2)
    _hand_refund(order, "15.00")
    first = _returned(staff, order)
    assert Refund.objects.get(ret=first).amount == Decimal("5.00")
    # When the second unit's parcel arrives, nothing is left to refund
    second = _request(order)
    with pytest.raises(RefundRefused) as refused:
        _receive(staff, second)
    assert refused.value.message == (
        f"Nothing is left to refund on order {order.number}: $20.00 is already refunded or due."
    )
    # And nothing of the receipt was written: no refund, no message, the return as it was
    second.refresh_from_db()
    assert second.status == ReturnStatus.LABEL_ISSUED and second.received_at is None
    assert not Refund.objects.filter(ret=second).exists()
    assert not Message.objects.filter(dedupe_key=f"return:{second.id}:received").exists()
    assert len(_entries("refund.created")) == 1


def test_a_payment_refunded_in_full_leaves_nothing_to_refund(staff) -> None:
    order = _order(staff, quantity=2)
    _hand_refund(order, "20.00")
    assert _payment(order).status == Payment.Status.REFUNDED
    with pytest.raises(RefundRefused) as refused:
        _returned(staff, order)
    assert refused.value.message == (
        f"Nothing is left to refund on order {order.number}: $20.00 is already refunded or due."
    )


@pytest.mark.parametrize(
    "payment_change",
    [
        {"payment_id": None},  # the order names no payment
        {"status": Payment.Status.AUTHORIZED},  # the money was never taken
    ],
    ids=["no-payment", "not-captured"],
)
def test_an_order_without_a_captured_payment_gets_no_refund(staff, payment_change) -> None:
    order = _order(staff)
    ret = _request(order)
    if "payment_id" in payment_change:
        Order.objects.filter(pk=order.pk).update(**payment_change)
    else:
        Payment.objects.filter(pk=_payment(order).pk).update(captured_amount=0, **payment_change)
    with pytest.raises(RefundRefused) as refused:
        _receive(staff, ret)
    assert refused.value.message == f"Order {order.number} has no captured payment to refund."
    assert not Refund.objects.exists()


def test_a_return_received_twice_owes_one_refund(staff) -> None:
    clerk, _ = staff("warehouse")
    order = _order(staff, price="49.99")
    ret = _returned(staff, order)
    with pytest.raises(services.InvalidReturnTransition):
        services.receive_return(ret=ret, actor=clerk)
    assert list(Refund.objects.values_list("ret_id", "amount")) == [(ret.pk, Decimal("49.99"))]
    assert len(_entries("refund.created")) == 1


# --- settling: exactly that refund, once, to the order's payment, audited and told ----------


def test_settling_pays_that_refund_back_once_and_tells_the_log_and_the_customer(staff) -> None:
    finance, _ = staff("finance")
    other_order = _order(staff, price="30.00")
    other = _accepted(staff, _returned(staff, other_order))
    order = _order(staff, quantity=2)
    ret = _accepted(staff, _returned(staff, order))
    waiting = _returned(staff, order)  # the second unit: received, not yet inspected
    refund = Refund.objects.get(ret=ret)
    before = timezone.now()
    settle_refund(refund=refund, actor=finance)
    after = timezone.now()
    # That refund, and only it, is settled, by that person, now
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SETTLED
    assert refund.settled_by_ref == str(finance.subject)
    assert refund.settled_at is not None and before <= refund.settled_at <= after
    for untouched in (waiting, other):
        left = Refund.objects.get(ret=untouched)
        assert left.status == RefundStatus.PENDING and left.settled_at is None
    # $10.00 went back to this order's payment; the other order's payment kept its money
    assert _payment(order).refunded_amount == Decimal("10.00")
    assert _payment(other_order).refunded_amount == Decimal("0.00")
    # The audit log: the refund settled by finance for this customer, in time, and the payment
    (settled,) = _entries("refund.settled")
    assert (settled.actor_ref, settled.actor_role) == (str(finance.subject), "finance")
    assert settled.subject_ref == str(order.subject)
    assert settled.target == f"returns.Refund:{refund.pk}"
    assert settled.detail == {
        "amount": "10.00",
        "due_on": refund.due_on.isoformat(),
        "late": False,
    }
    (paid_back,) = _entries("payment.refunded")
    assert paid_back.actor_ref == str(finance.subject)
    assert paid_back.target == f"payments.Payment:{order.payment_id}"
    assert paid_back.detail == {"amount": "10.00"}
    # The return is refunded by finance, and the customer told the amount and the card
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    event = ret.events.get(to_status=ReturnStatus.REFUNDED)
    assert event.actor_ref == str(finance.subject)
    (closed,) = _entries("return.refunded")
    assert closed.actor_ref == str(finance.subject)
    assert _body(ret, "refunded") == (
        f"We refunded $10.00 for return {ret.number} to the card you paid with. Depending on "
        "your bank it shows on your statement within a few days."
    )
    # A second click pays nothing more and writes nothing more
    with pytest.raises(RefundRefused) as refused:
        settle_refund(refund=refund, actor=finance)
    assert refused.value.message == "This refund of $10.00 is already settled."
    assert _payment(order).refunded_amount == Decimal("10.00")
    assert len(_entries("refund.settled")) == len(_entries("payment.refunded")) == 1
    assert Message.objects.filter(dedupe_key=f"return:{ret.id}:refunded").count() == 1


@pytest.mark.parametrize(
    ("due_in_days", "late"),
    [(0, False), (1, False), (-1, True)],
    ids=["due-today", "early", "late"],
)
def test_a_refund_settled_after_its_due_day_is_audited_as_late(staff, due_in_days, late) -> None:
    finance, _ = staff("finance")
    ret = _accepted(staff, _returned(staff, _order(staff)))
    today = timezone.localdate()
    Refund.objects.filter(ret=ret).update(due_on=today + timedelta(days=due_in_days))
    settle_refund(refund=Refund.objects.get(ret=ret), actor=finance)
    (settled,) = _entries("refund.settled")
    assert settled.detail["late"] is late
    assert settled.detail["due_on"] == (today + timedelta(days=due_in_days)).isoformat()


def test_a_cancelled_refund_is_never_paid(staff) -> None:
    finance, _ = staff("finance")
    agent, _ = staff("after_sales")
    order = _order(staff)
    ret = _returned(staff, order)
    services.reject_return(ret=ret, reason="The camera was returned without its lens.", actor=agent)
    refund = Refund.objects.get(ret=ret)
    with pytest.raises(RefundRefused) as refused:
        settle_refund(refund=refund, actor=finance)
    assert refused.value.message == "This refund was cancelled: the return was rejected."
    assert _payment(order).refunded_amount == Decimal("0.00")
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.CANCELLED
    assert not _entries("refund.settled") and not _entries("payment.refunded")


def test_a_refund_is_paid_only_after_the_inspection_was_accepted(staff) -> None:
    finance, _ = staff("finance")
    order = _order(staff)
    ret = _returned(staff, order)
    refund = Refund.objects.get(ret=ret)
    with pytest.raises(RefundRefused) as refused:
        settle_refund(refund=refund, actor=finance)
    assert refused.value.message == (
        f"Return {ret.number} is received at our warehouse; it is refunded once after-sales "
        "has accepted the inspection."
    )
    assert _payment(order).refunded_amount == Decimal("0.00")
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.PENDING
    assert not _entries("refund.settled") and not _entries("payment.refunded")
