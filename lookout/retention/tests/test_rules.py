"""Each retention rule purges or anonymizes exactly what is past its period (C4.6).

The clock is frozen on either side of each period's boundary: one second before, nothing goes;
one second after, it goes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from freezegun import freeze_time

from lookout.accounts.models import MarketingChoice, User
from lookout.accounts.services import create_account, record_marketing_choice
from lookout.cart.models import Cart
from lookout.core.inventory import (
    ACCOUNT_LIFETIME,
    CART_RETENTION,
    CONSENT_RETENTION,
    ORDER_RETENTION,
)
from lookout.inbox.models import Message
from lookout.inbox.personal_data import INBOX_RETENTION
from lookout.inbox.services import send_message
from lookout.orders.models import Delivery, Order, Status
from lookout.orders.testing import GUEST_EMAIL, RECIPIENT, make_cart, make_product, place
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.testing.raw import raw_rows
from lookout.vault.models import DataKey

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _run(name: str, at: datetime) -> int:
    with freeze_time(at):
        return run_rule(rule=rule_named(name), batch_size=2).processed


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_stale_carts_go_after_30_days_not_before():
    # given a cart last changed at T0, and one changed a day later
    with freeze_time(T0):
        old, _ = make_cart(make_product())
    with freeze_time(T0 + timedelta(days=1)):
        newer, _ = make_cart(make_product())
    # when retention runs one second before the old cart's period ends
    assert _run("cart.stale_carts", T0 + CART_RETENTION.period - SECOND) == 0
    assert Cart.objects.filter(pk=old.pk).exists()
    # and one second after it
    assert _run("cart.stale_carts", T0 + CART_RETENTION.period + SECOND) == 1
    # then the old cart is gone, with its lines, and the newer one stays
    assert not Cart.objects.filter(pk=old.pk).exists()
    assert Cart.objects.filter(pk=newer.pk).exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_guest_order_personal_data_is_crypto_shredded_after_the_period(policies):
    # given a guest order delivered at T0
    with freeze_time(T0 - timedelta(days=5)):
        order = place()
    Order.objects.filter(pk=order.pk).update(status=Status.DELIVERED, delivered_at=T0)
    delivery = Delivery.objects.get(order=order)
    assert DataKey.objects.filter(subject=delivery.subject).exists()
    # when retention runs just before the period ends, nothing changes
    assert _run("orders.delivery_personal_data", T0 + ORDER_RETENTION.period - SECOND) == 0
    assert DataKey.objects.filter(subject=delivery.subject).exists()
    # and just after it
    assert _run("orders.delivery_personal_data", T0 + ORDER_RETENTION.period + SECOND) == 1
    # then the guest's data key is destroyed and the sealed columns are blank
    assert not DataKey.objects.filter(subject=delivery.subject).exists()
    row: dict[str, Any] = dict(
        Delivery.objects.filter(pk=delivery.pk).values(
            "name", "address", "phone", "email", "email_index", "country"
        )[0]
    )
    assert row["name"].blob == b""  # stored bytes (the ORM hands them over still sealed)
    assert row["address"].blob == b""
    assert row["phone"] is None and row["email"] is None and row["email_index"] == ""
    assert row["country"] == "US"  # kept for anonymous aggregates
    # and no plaintext of the guest is anywhere in the table's raw rows
    raw = repr(raw_rows("orders_delivery")).encode()
    assert RECIPIENT.encode() not in raw and GUEST_EMAIL.encode() not in raw
    # and the order itself (amounts, lines) stays
    assert Order.objects.get(pk=order.pk).total == order.total
    # and a second run finds nothing more to do
    assert _run("orders.delivery_personal_data", T0 + ORDER_RETENTION.period + 2 * SECOND) == 0


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_orders_still_under_way_are_never_anonymized(policies):
    # given a guest order placed long ago but never delivered (still placed)
    with freeze_time(T0):
        order = place()
    # when retention runs far past the period
    assert _run("orders.delivery_personal_data", T0 + 2 * ORDER_RETENTION.period) == 0
    # then its delivery details are untouched
    assert DataKey.objects.filter(subject=order.subject).exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_inbox_messages_go_after_their_period():
    subject = create_account(email="inbox.reader@example.com", password="long-pass-word-1").subject
    with freeze_time(T0):
        send_message(subject=subject, kind="account", title="Old", body="Old message")
    with freeze_time(T0 + timedelta(days=2)):
        send_message(subject=subject, kind="account", title="New", body="New message")
    assert _run("inbox.messages", T0 + INBOX_RETENTION.period - SECOND) == 0
    assert _run("inbox.messages", T0 + INBOX_RETENTION.period + SECOND) == 1
    assert Message.objects.filter(subject=subject).count() == 1


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_marketing_choices_go_after_the_period_that_follows_withdrawal():
    # given one person who opted out at T0, and one who opted in at T0 and stays opted in
    with freeze_time(T0 - timedelta(days=10)):
        leaver = create_account(email="leaver@example.com", password="long-pass-word-1")
        stayer = create_account(email="stayer@example.com", password="long-pass-word-1")
        for user in (leaver, stayer):
            record_marketing_choice(user=user, opted_in=True, wording="Yes", source="signup")
    with freeze_time(T0):
        record_marketing_choice(user=leaver, opted_in=False, wording="No", source="centre")
    # when retention runs around the end of the period after the withdrawal
    assert _run("marketing.withdrawn_choices", T0 + CONSENT_RETENTION.period - SECOND) == 0
    assert _run("marketing.withdrawn_choices", T0 + CONSENT_RETENTION.period + SECOND) == 2
    # then the leaver's records are gone; the consent in force keeps its proof
    assert not MarketingChoice.objects.filter(user=leaver).exists()
    assert MarketingChoice.objects.filter(user=stayer).count() == 1


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_dormant_customer_accounts_are_closed_and_their_key_destroyed():
    # given a customer who last signed in at T0, and a staff member idle as long
    with freeze_time(T0):
        dormant = create_account(email="dormant@example.com", password="long-pass-word-1")
        staff = create_account(email="st@example.com", password="long-pass-word-1", role="finance")
    User.objects.filter(pk__in=[dormant.pk, staff.pk]).update(last_login=T0)
    assert _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period - SECOND) == 0
    assert _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period + SECOND) == 1
    closed = User.objects.get(pk=dormant.pk)
    assert closed.closed_at is not None and not closed.is_active
    assert closed.email_index is None and not closed.has_usable_password()
    assert not DataKey.objects.filter(subject=dormant.subject).exists()
    assert User.objects.get(pk=staff.pk).closed_at is None  # staff accounts have their own rule


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_expired_sessions_and_cache_entries_go():
    # given a session and a cache entry written at T0
    with freeze_time(T0):
        store = SessionStore()
        store["x"] = 1
        store.create()
        cache.set("retention-test", "value", timeout=3600)
    # when retention runs after both expired
    later = T0 + timedelta(days=15)
    assert _run("sessions.expired", later) == 1
    assert not Session.objects.filter(session_key=store.session_key).exists()
    with freeze_time(later):
        assert _run("cache.expired", later) >= 1
        assert cache.get("retention-test") is None
