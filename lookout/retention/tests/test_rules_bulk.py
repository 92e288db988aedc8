"""The order rule works on whole batches (set-based): what a batch touches, and what it leaves
(C4.6). Rows that are not due, and keys still needed outside the batch, must survive; a key
needed only by rows of later batches goes with the last of them; a resumed run misses nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from lookout.accounts.services import create_account
from lookout.core.inventory import ORDER_RETENTION
from lookout.orders.models import Delivery, Order, Status
from lookout.orders.testing import place
from lookout.payments.models import Payment
from lookout.retention.models import RetentionRun
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.vault.crypto import KeyRing, create_data_keys, destroy_data_keys
from lookout.vault.models import DataKey

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
AFTER = T0 + ORDER_RETENTION.period + timedelta(days=1)


def _delivered(order: Order, *, at: datetime = T0) -> Order:
    Order.objects.filter(pk=order.pk).update(status=Status.DELIVERED, delivered_at=at)
    Payment.objects.create(
        order_ref=order.pk,
        amount=order.total,
        status=Payment.Status.CAPTURED,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=datetime.now(UTC).year + 5,
        idempotency_key=f"pay-{order.pk}",
    )
    return order


def _sealed(order: Order) -> bool:
    address = Delivery.objects.values_list("address", flat=True).get(order=order)
    return bool(getattr(address, "blob", address))  # a Sealed value; b"" once blanked


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_one_batch_blanks_every_due_order_and_shreds_only_guest_keys(policies):
    # given five guest orders and two orders of a customer, all delivered at T0,
    # and one guest order delivered later (not yet due)
    customer = create_account(email="ann@example.com", password=None)
    with freeze_time(T0 - timedelta(days=5)):
        guests = [_delivered(place()) for _ in range(5)]
        mine = [_delivered(place(user=customer)) for _ in range(2)]
        recent = _delivered(place(), at=AFTER)

    # when the rule runs once, with every due row in one batch
    with freeze_time(AFTER):
        run = run_rule(rule=rule_named("orders.delivery_personal_data"), batch_size=100)

    # then the seven due orders are anonymized in one batch, card facts included
    assert (run.processed, run.batches) == (7, 1)
    assert not any(_sealed(o) for o in guests + mine)
    blanked = Payment.objects.filter(order_ref__in=[o.pk for o in guests + mine])
    assert set(blanked.values_list("brand", "last4", "exp_month")) == {("", "", None)}
    # and only the guests' keys are destroyed: the customer's account still needs theirs
    assert not DataKey.objects.filter(subject__in=[o.subject for o in guests]).exists()
    assert DataKey.objects.filter(subject=customer.subject).exists()
    # and the order that is not due yet, wherever its key falls, is untouched
    assert _sealed(recent) and DataKey.objects.filter(subject=recent.subject).exists()
    assert Payment.objects.get(order_ref=recent.pk).last4 == "4242"


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_a_guest_key_still_needed_by_an_order_not_due_survives_the_batch(policies):
    # given one guest subject with two orders: one delivered at T0, one still under way
    with freeze_time(T0 - timedelta(days=5)):
        due = _delivered(place())
        open_order = place()
    Order.objects.filter(pk=open_order.pk).update(subject=due.subject)
    Delivery.objects.filter(order=open_order).update(subject=due.subject)

    # when the rule runs past the first order's period
    with freeze_time(AFTER):
        run = run_rule(rule=rule_named("orders.delivery_personal_data"), batch_size=100)

    # then the due order is blanked but the key stays for the order under way
    assert run.processed == 1 and not _sealed(due)
    assert DataKey.objects.filter(subject=due.subject).exists()


@pytest.mark.django_db
def test_keys_made_and_destroyed_in_bulk():
    # given three new people's keys made in one insert, already on the caller's ring
    ring = KeyRing()
    people = [uuid.uuid4() for _ in range(3)]
    create_data_keys(subjects=people, kind=DataKey.Kind.GUEST, keys=ring)
    assert DataKey.objects.filter(subject__in=people).count() == 3
    assert ring.aead(people[0]) is not None

    # when two of them are crypto-shredded at once (one named twice, one never existed)
    gone = destroy_data_keys(subjects=[people[0], people[1], people[1], uuid.uuid4()])

    # then exactly those two keys are gone
    assert gone == 2
    assert list(DataKey.objects.filter(subject__in=people).values_list("subject", flat=True)) == [
        people[2]
    ]


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_a_guest_with_due_orders_in_two_batches_loses_the_key_after_the_last(policies):
    # given one guest subject with two orders, both delivered at T0
    with freeze_time(T0 - timedelta(days=5)):
        first, second = _delivered(place()), _delivered(place())
    Order.objects.filter(pk=second.pk).update(subject=first.subject)
    Delivery.objects.filter(order=second).update(subject=first.subject)

    # when the rule runs with one order per batch
    with freeze_time(AFTER):
        run = run_rule(rule=rule_named("orders.delivery_personal_data"), batch_size=1)

    # then both are blanked, and the key, needed by the second until its batch, is gone after it
    assert (run.processed, run.batches) == (2, 2)
    assert not _sealed(first) and not _sealed(second)
    assert not DataKey.objects.filter(subject=first.subject).exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_a_resumed_run_also_finishes_rows_before_its_cursor(policies):
    # given three due guest orders, and an interrupted run whose cursor is past all of them
    # (as if the rows had been renumbered since, e.g. SQLite rowids by a VACUUM)
    with freeze_time(T0 - timedelta(days=5)):
        orders = [_delivered(place()) for _ in range(3)]
    rule = rule_named("orders.delivery_personal_data")
    due = rule.batch(rule.cutoff(AFTER), "", 10)
    assert len(due) == 3
    RetentionRun.objects.create(
        rule=rule.name,
        retention=rule.retention.name,
        cutoff=rule.cutoff(AFTER),
        cursor=str(due[-1]),
    )

    # when the next run resumes it
    with freeze_time(AFTER):
        run = run_rule(rule=rule, batch_size=2)

    # then it still blanks every due order and destroys the guests' keys before reporting done
    assert run.resumed_from_id is not None and run.status == RetentionRun.Status.DONE
    assert run.processed == 3
    assert not any(_sealed(o) for o in orders)
    assert not DataKey.objects.filter(subject__in=[o.subject for o in orders]).exists()
