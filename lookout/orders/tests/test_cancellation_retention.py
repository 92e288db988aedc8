"""The reason after-sales gave for a cancellation is kept for the order period, then blanked
(C4.6), also for a customer whose account (and data key) lives on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.accounts.services import create_account
from lookout.core.inventory import ORDER_RETENTION
from lookout.orders.cancellation import cancel_by_staff
from lookout.orders.models import Cancellation
from lookout.orders.testing import place
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


@pytest.mark.commitment("C4.6")
def test_a_customers_cancellation_reason_is_blanked_after_the_order_period(staff) -> None:
    # given a customer's order that after-sales cancelled with a reason
    customer = create_account(email="keeps.account@example.com", password="a-long-passphrase-1")
    agent, _ = staff("after_sales")
    order = cancel_by_staff(
        order=place(user=customer), actor=agent, reason="Asked by phone to cancel."
    )
    rule = rule_named("orders.cancellation_reasons")
    # when retention runs a day before the period is over, then the reason stays
    soon = timezone.now() + ORDER_RETENTION.period - timedelta(days=1)
    assert run_rule(rule=rule, now=soon).processed == 0
    assert Cancellation.objects.get(order=order).reason is not None
    # when it runs after the period, then the reason is blanked and the cancellation stays
    later = timezone.now() + ORDER_RETENTION.period + timedelta(days=1)
    assert run_rule(rule=rule, now=later).processed == 1
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.reason is None and cancellation.by == "after_sales"
