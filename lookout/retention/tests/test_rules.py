"""Each retention rule purges or anonymizes exactly what is past its period (C4.6).

The clock is frozen on either side of each period's boundary: one second before, nothing goes;
one second after, it goes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
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
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.inbox.personal_data import INBOX_RETENTION
from lookout.inbox.services import send_message
from lookout.orders.models import Delivery, Order, Status
from lookout.orders.testing import GUEST_EMAIL, RECIPIENT, make_cart, make_product, place
from lookout.payments.models import Payment
from lookout.retention.registry import rule_named
from lookout.retention.services import plan, run_rule
from lookout.sharing.models import (
    DeletionCertificate,
    Disclosure,
    Partner,
    PartnerKind,
    RedactionRequest,
)
from lookout.sharing.redaction import subject_reference
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


def _payment(order: Order, reference: str) -> Payment:
    return Payment.objects.create(
        order_ref=order.pk,
        amount=order.total,
        status=Payment.Status.CAPTURED,
        processor_reference=reference,
        idempotency_key=f"pay-{order.pk}",
    )


def _disclosed(partner: Partner, subject: Any, at: datetime) -> Disclosure:
    return Disclosure.objects.create(
        partner=partner,
        subject=subject,
        fields=["orders.Delivery.name"],
        categories=["user.name"],
        purpose=Purpose.FULFILMENT,
        at=at,
        actor_ref="system",
        target="orders.Delivery:test",
    )


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_the_disclosure_ledger_is_purged_after_the_order_period_not_before():
    # given a ledger row written at T0, and one written a day later
    partner = Partner.objects.create(name="Parcel Co", kind=PartnerKind.CARRIER)
    old = _disclosed(partner, uuid.uuid4(), T0)
    newer = _disclosed(partner, uuid.uuid4(), T0 + timedelta(days=1))
    # when retention runs one second before the old row's period ends, and one second after
    assert _run("sharing.disclosures", T0 + ORDER_RETENTION.period - SECOND) == 0
    assert _run("sharing.disclosures", T0 + ORDER_RETENTION.period + SECOND) == 1
    # then only the old row is gone
    assert list(Disclosure.objects.values_list("pk", flat=True)) == [newer.pk]
    assert not Disclosure.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_an_account_never_signed_in_to_is_dormant_from_the_day_it_was_made():
    # given a customer who signed up at T0 and never signed in
    with freeze_time(T0):
        idle = create_account(email="never.back@example.com", password="long-pass-word-1")
    assert User.objects.get(pk=idle.pk).last_login is None
    # when retention runs around the end of the account lifetime counted from sign-up
    assert _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period - SECOND) == 0
    assert _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period + SECOND) == 1
    # then the account is closed and its key destroyed; a later run closes nothing again
    assert User.objects.get(pk=idle.pk).closed_at is not None
    assert not DataKey.objects.filter(subject=idle.subject).exists()
    # and a closed account is no longer due: the plan counts none, a later run has no batch
    later = T0 + ACCOUNT_LIFETIME.period + 2 * SECOND
    assert {line.rule: line.due for line in plan(now=later)}["accounts.dormant"] == 0
    with freeze_time(later):
        again = run_rule(rule=rule_named("accounts.dormant"), batch_size=2)
    assert (again.processed, again.batches) == (0, 0)


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_an_account_is_dormant_from_its_last_sign_in_not_from_sign_up():
    # given a customer who signed up at T0 and last signed in a year later
    with freeze_time(T0):
        user = create_account(email="came.back@example.com", password="long-pass-word-1")
    signed_in = T0 + timedelta(days=365)
    User.objects.filter(pk=user.pk).update(last_login=signed_in)
    # when retention runs after the lifetime counted from sign-up, nothing is closed
    assert _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period + SECOND) == 0
    assert User.objects.get(pk=user.pk).closed_at is None
    # and after the lifetime counted from the last sign-in, the account is closed
    assert _run("accounts.dormant", signed_in + ACCOUNT_LIFETIME.period + SECOND) == 1
    assert User.objects.get(pk=user.pk).closed_at is not None


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.commitment("C4.6")
def test_a_dormant_closure_that_fails_midway_destroys_no_key(monkeypatch):
    # given a dormant customer, and the certificate step failing (a fault injected)
    with freeze_time(T0):
        user = create_account(email="half.closed@example.com", password="long-pass-word-1")
    User.objects.filter(pk=user.pk).update(last_login=T0)

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("the certificate could not be written")

    monkeypatch.setattr("lookout.sharing.redaction.open_redactions", fail)
    # when retention tries to close the account
    with pytest.raises(RuntimeError):
        _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period + SECOND)
    # then nothing of the closure is kept: the data key still exists and the account is open,
    # so the next run closes it whole
    assert DataKey.objects.filter(subject=user.subject).exists()
    assert User.objects.get(pk=user.pk).closed_at is None


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_a_dormant_account_with_an_order_under_way_is_kept(policies):
    # given two customers last seen at T0: one with an order still under way, one whose
    # only order was delivered
    with freeze_time(T0):
        waiting = create_account(email="waiting@example.com", password="long-pass-word-1")
        done = create_account(email="done@example.com", password="long-pass-word-1")
        place(user=waiting)
        delivered = place(user=done)
    Order.objects.filter(pk=delivered.pk).update(status=Status.DELIVERED, delivered_at=T0)
    User.objects.filter(pk__in=[waiting.pk, done.pk]).update(last_login=T0)
    # when retention runs long after both were last seen
    assert _run("accounts.dormant", T0 + ACCOUNT_LIFETIME.period + SECOND) == 1
    # then only the customer with nothing under way is closed
    assert User.objects.get(pk=done.pk).closed_at is not None
    assert User.objects.get(pk=waiting.pk).closed_at is None
    assert DataKey.objects.filter(subject=waiting.subject).exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6", "C6.7")
def test_each_dormant_account_closed_gets_its_own_certificate_naming_its_partner_records(
    policies,
):
    # given two customers last seen at T0, each with a paid order whose data went to a partner
    partner = Partner.objects.create(name="Card Co", kind=PartnerKind.PAYMENT_PROCESSOR)
    people = []
    with freeze_time(T0):
        for n in (1, 2):
            user = create_account(email=f"quiet{n}@example.com", password="long-pass-word-1")
            order = place(user=user)
            _payment(order, f"ps_quiet_{n}")
            _disclosed(partner, user.subject, T0)
            people.append(user)
    Order.objects.filter(subject__in=[p.subject for p in people]).update(
        status=Status.DELIVERED, delivered_at=T0
    )
    User.objects.filter(pk__in=[p.pk for p in people]).update(last_login=T0)
    # when retention closes both dormant accounts
    closing = T0 + ACCOUNT_LIFETIME.period + SECOND
    assert _run("accounts.dormant", closing) == 2
    # then each person has a certificate of their own, dated when their key was destroyed,
    # and the partner is asked to forget each person's own records
    certificates = DeletionCertificate.objects.all()
    assert sorted(c.subject_ref for c in certificates) == sorted(
        subject_reference(p.subject) for p in people
    )
    assert {c.key_destroyed_at for c in certificates} == {closing}
    for n, person in enumerate(people, start=1):
        [request] = RedactionRequest.objects.filter(subject=person.subject)
        assert request.partner == partner and request.records == [f"ps_quiet_{n}"]
        assert request.certificate.subject_ref == subject_reference(person.subject)
        assert not DataKey.objects.filter(subject=person.subject).exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_cache_entries_go_once_expired_and_not_before():
    # given three entries that expired a second before the run, and one that expires a
    # second after it
    run_at = T0 + timedelta(days=3)
    with freeze_time(run_at - timedelta(seconds=61)):
        for n in range(3):
            cache.set(f"retention-gone-{n}", "value", timeout=60)
        cache.set("retention-kept", "value", timeout=62)
    # when retention runs (two keys a batch), then every expired entry is gone, the other stays
    with freeze_time(run_at):
        assert _run("cache.expired", run_at) == 3
        assert cache.get("retention-kept") == "value"
    assert _cache_keys() == [cache.make_key("retention-kept")]


def _cache_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM lookout_cache ORDER BY cache_key")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_the_plan_counts_exactly_what_the_next_run_purges(policies):
    # given, past their periods: a delivered guest order, a cancelled one, a ledger row and an
    # expired cache entry; and, within them, an order delivered later, a newer ledger row and a
    # live cache entry; and an order long under way
    partner = Partner.objects.create(name="Parcel Co", kind=PartnerKind.CARRIER)
    with freeze_time(T0 - timedelta(days=5)):
        delivered, cancelled, recent, under_way = place(), place(), place(), place()
    Order.objects.filter(pk=delivered.pk).update(status=Status.DELIVERED, delivered_at=T0)
    Order.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED, closed_at=T0)
    Order.objects.filter(pk=recent.pk).update(
        status=Status.DELIVERED, delivered_at=T0 + timedelta(days=2)
    )
    _disclosed(partner, delivered.subject, T0)
    _disclosed(partner, recent.subject, T0 + timedelta(days=2))
    now = T0 + ORDER_RETENTION.period + timedelta(days=1)
    with freeze_time(now - timedelta(hours=2)):
        cache.set("retention-plan-expired", "value", timeout=3600)
        cache.set("retention-plan-live", "value", timeout=3 * 3600)
    # when the plan is made, then it counts, rule by rule, what the run then does
    due = {line.rule: line.due for line in plan(now=now)}
    assert due["orders.delivery_personal_data"] == 2
    assert due["sharing.disclosures"] == 1
    assert due["cache.expired"] == _cache_expired_before(now) >= 1
    for name in ("orders.delivery_personal_data", "sharing.disclosures", "cache.expired"):
        with freeze_time(now):
            assert run_rule(rule=rule_named(name), batch_size=2).processed == due[name], name
    assert DataKey.objects.filter(subject=under_way.subject).exists()
    assert DataKey.objects.filter(subject=recent.subject).exists()
    # and nothing is left due
    with freeze_time(now):
        left = {line.rule: line.due for line in plan(now=now)}
    assert left["orders.delivery_personal_data"] == left["sharing.disclosures"] == 0
    assert left["cache.expired"] == 0


def _cache_expired_before(moment: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM lookout_cache WHERE expires < %s", [moment])
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_with_the_cache_outside_the_database_the_cache_rule_has_nothing_to_count_or_do():
    # given a database without the cache table (the cache lives in Redis, which expires
    # entries itself)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE lookout_cache RENAME TO lookout_cache_elsewhere")
    try:
        # then the plan counts nothing due for the cache, and a run deletes nothing
        assert {line.rule: line.due for line in plan(now=T0)}["cache.expired"] == 0
        assert _run("cache.expired", T0) == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE lookout_cache_elsewhere RENAME TO lookout_cache")
