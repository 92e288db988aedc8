"""Refunds: due 10 business days after receipt, overdue flagged, exact cents, never more than
paid — also when finance clicks "settle" twice at the same moment (C1.8)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.inbox.models import Message
from lookout.payments.models import Payment
from lookout.returns import services
from lookout.returns.models import Refund, RefundStatus, ReturnStatus
from lookout.returns.refunds import RefundRefused, settle_refund
from lookout.returns.selectors import overdue_refunds, refunds_due
from lookout.returns.testing import delivered_order
from lookout.returns.window import refund_due_on

HOLIDAYS = ["2026-12-25", "2027-01-01"]


@pytest.mark.commitment("C1.8")
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 3, 2), date(2026, 3, 16)),  # Monday: two full weeks later
        (date(2026, 3, 6), date(2026, 3, 20)),  # Friday
        (date(2026, 3, 7), date(2026, 3, 20)),  # Saturday: counting starts on Monday
        (date(2026, 3, 8), date(2026, 3, 20)),  # Sunday
        (date(2026, 12, 18), date(2027, 1, 5)),  # across Christmas, New Year and the year end
        (date(2026, 12, 31), date(2027, 1, 15)),  # New Year's Eve: 1 January does not count
    ],
)
def test_refund_due_date_counts_business_days(settings, received: date, due: date) -> None:
    settings.LOOKOUT_WAREHOUSE_HOLIDAYS = HOLIDAYS
    assert refund_due_on(received) == due


@pytest.mark.commitment("C1.8")
def test_overdue_only_after_the_due_date_and_only_while_unsettled() -> None:
    refund = Refund(amount=Decimal("1.00"), due_on=date(2026, 3, 16))
    assert not refund.is_overdue(date(2026, 3, 16))
    assert refund.is_overdue(date(2026, 3, 17))
    refund.status = RefundStatus.SETTLED
    assert not refund.is_overdue(date(2026, 3, 17))


def _received(staff: Callable[[str], Any], *, quantity: int = 1, returned: int | None = None):
    clerk, _ = staff("warehouse")
    order = delivered_order(clerk, quantity=quantity, price=Decimal("49.99"))
    line = order.lines.get()
    ret = services.request_return(
        order=order,
        quantities={line.pk: returned or quantity},
        reason="changed_mind",
        note=None,
        actor=None,
    )
    services.receive_return(ret=ret, actor=clerk)
    ret.refresh_from_db()
    return order, ret


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C1.8", "C3.3", "C3.5")
def test_partial_return_is_refunded_in_exact_cents_by_its_due_date(staff) -> None:
    # Given three cameras at $49.99 delivered, one returned and received
    order, ret = _received(staff, quantity=3, returned=1)
    refund = ret.refund
    # Then a refund of exactly $49.99 is due 10 business days after receipt
    assert refund.amount == Decimal("49.99")
    assert refund.due_on == refund_due_on(ret.received_at.date())
    assert refund in refunds_due() and not refunds_due()[0].overdue
    agent, _ = staff("after_sales")
    finance, _ = staff("finance")
    # Settling before the inspection is refused
    with pytest.raises(RefundRefused, match="after-sales has accepted"):
        settle_refund(refund=refund, actor=finance)
    services.accept_return(ret=ret, actor=agent)
    # When finance settles it
    settle_refund(refund=refund, actor=finance)
    # Then the card gets $49.99 back, the return is refunded and the customer told
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.refunded_amount == Decimal("49.99")
    assert payment.captured_amount == Decimal("149.97")
    ret.refresh_from_db()
    refund.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED and refund.status == RefundStatus.SETTLED
    assert refund.settled_by_ref == str(finance.subject)
    steps = list(ret.events.values_list("to_status", flat=True))
    assert steps[-4:] == ["received", "inspected", "refund_pending", "refunded"]
    for step in ("received", "inspected", "refund_pending", "refunded"):
        assert Message.objects.filter(dedupe_key=f"return:{ret.id}:{step}").exists()
    # And a second click is refused with a clear message, paying nothing more
    with pytest.raises(RefundRefused, match="already settled"):
        settle_refund(refund=refund, actor=finance)
    assert Payment.objects.get(pk=order.payment_id).refunded_amount == Decimal("49.99")


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C1.8")
def test_unsettled_refund_past_its_due_date_is_flagged_overdue(staff) -> None:
    _, ret = _received(staff)
    refund = ret.refund
    Refund.objects.filter(pk=refund.pk).update(due_on=date(2020, 1, 2))
    assert list(overdue_refunds()) == [Refund.objects.get(pk=refund.pk)]
    assert refunds_due()[0].overdue


@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
@pytest.mark.commitment("C1.8")
def test_refunds_of_several_returns_never_exceed_what_was_captured(staff) -> None:
    clerk, _ = staff("warehouse")
    order = delivered_order(clerk, quantity=2, price=Decimal("10.01"))
    line = order.lines.get()
    first = services.request_return(
        order=order, quantities={line.pk: 1}, reason="damaged", note=None, actor=None
    )
    services.receive_return(ret=first, actor=clerk)
    # Someone refunded part of the payment by hand at the processor's console
    from lookout.payments.services import refund as pay_back

    pay_back(payment=Payment.objects.get(order_ref=order.pk), amount=Decimal("5.00"), actor=None)
    second = services.request_return(
        order=order, quantities={line.pk: 1}, reason="damaged", note=None, actor=None
    )
    services.receive_return(ret=second, actor=clerk)
    second.refresh_from_db()
    # Then the second refund is capped at what is left: 20.02 - 5.00 - 10.01
    assert second.refund.amount == Decimal("5.01")


def _at_once(work: Callable[[], Any], times: int = 2) -> list[Any]:
    barrier = threading.Barrier(times)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "partners", "policies")
@pytest.mark.commitment("C1.8")
def test_two_simultaneous_settle_clicks_refund_once(staff) -> None:
    # Given a received, inspected return of $49.99
    order, ret = _received(staff)
    agent, _ = staff("after_sales")
    finance, _ = staff("finance")
    services.accept_return(ret=ret, actor=agent)
    refund = ret.refund
    # When two finance clerks click "settle" at the same moment
    results = _at_once(lambda: settle_refund(refund=refund, actor=finance))
    # Then one refund went through and the other was refused; $49.99 went back, once
    refused = [r for r in results if isinstance(r, RefundRefused)]
    assert len(refused) == 1, results
    assert "already settled" in refused[0].message
    assert Payment.objects.get(pk=order.payment_id).refunded_amount == Decimal("49.99")
    assert Message.objects.filter(dedupe_key=f"return:{ret.id}:refunded").count() == 1
