"""`core.rows.together`: the rows of a unit of work go in together as it ends (one statement on
PostgreSQL), sealed as always, and all or nothing with the transaction around them."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from lookout.audit.models import AuditEntry
from lookout.core.rows import insert, insert_many, together
from lookout.orders.models import Delivery, Order, OrderEvent
from lookout.vault.crypto import new_subject
from lookout.vault.models import DataKey

from .test_rows import _order  # an order's values, not yet saved

pytestmark = pytest.mark.django_db

PERSONAL = {"name": "Grace Brewster Hopper", "address": '{"city": "Arlington"}'}


class Boom(Exception):
    pass


def _entries(count: int, first_seq: int) -> list[AuditEntry]:
    from django.utils import timezone

    return [
        AuditEntry(seq=first_seq + n, at=timezone.now(), actor_ref="system", action="test.together",
                   lane=97, lane_seq=first_seq + n, prev_hash="0" * 64, hash=f"{n:064x}")
        for n in range(count)
    ]  # fmt: skip


def _unit_of_work(subject: uuid.UUID) -> tuple[Order, Delivery, OrderEvent]:
    order = insert(_order(subject=subject))
    delivery = insert(Delivery(subject=subject, order=order, country="US", **PERSONAL))
    event = insert(OrderEvent(order=order, from_status="", to_status="placed", actor_ref="guest"))
    insert_many(_entries(3, 960_000))
    return order, delivery, event


@pytest.mark.commitment("C4.2")
def test_the_rows_of_a_unit_of_work_go_in_as_it_ends_sealed() -> None:
    subject = new_subject(kind=DataKey.Kind.GUEST)
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), together():
        order, delivery, event = _unit_of_work(subject)
        # nothing written yet: the rows wait for the end of the block
        assert not Order.objects.filter(pk=order.pk).exists()
        written_inside = len(queries.captured_queries)
    inserts = [q["sql"] for q in queries.captured_queries[written_inside:] if "INSERT" in q["sql"]]
    # one statement on PostgreSQL, one per model (and per chunk) on SQLite
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 4)
    stored = Order.objects.get(pk=order.pk)
    assert stored.total == Decimal("126.99") and stored.subject == subject
    assert OrderEvent.objects.filter(order=order, to_status="placed").count() == 1
    assert event.pk is None  # an auto key is not read back, as documented
    assert AuditEntry.objects.filter(action="test.together").count() == 3
    # the personal fields went in sealed: no plaintext in the raw table
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, address FROM orders_delivery WHERE order_id = %s",
                       [Order._meta.pk.get_db_prep_value(order.pk, connection)])  # fmt: skip
        raw = cursor.fetchall()
    assert len(raw) == 1
    for value in raw[0]:
        assert not any(part.encode() in bytes(value) for part in ("Grace", "Hopper", "Arlington"))
    # and they open to the values given
    from lookout.access import reveal
    from lookout.core.purposes import Purpose

    row = Delivery.objects.get(pk=delivery.pk)
    assert reveal(row, ["name"], purpose=Purpose.FULFILMENT, actor=None) == {
        "name": PERSONAL["name"]
    }


def test_an_error_inside_the_block_writes_nothing() -> None:
    subject = uuid.uuid4()
    with pytest.raises(Boom), transaction.atomic(), together():
        insert(_order(subject=subject))
        insert_many(_entries(2, 961_000))
        raise Boom
    assert not Order.objects.filter(subject=subject).exists()
    assert not AuditEntry.objects.filter(action="test.together").exists()


def test_a_refused_row_fails_the_whole_unit_as_the_block_ends() -> None:
    taken = insert(_order())
    subject = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic(), together():
        insert(_order(subject=subject))
        insert(_order(subject=subject, number=taken.number))  # the order number is unique
    assert not Order.objects.filter(subject=subject).exists()


@pytest.mark.commitment("C4.2")
def test_a_personal_value_that_is_not_text_is_refused_and_nothing_is_written() -> None:
    subject = new_subject(kind=DataKey.Kind.GUEST)
    with pytest.raises(TypeError, match="plaintext only"), transaction.atomic(), together():
        order = insert(_order(subject=subject))
        insert(Delivery(subject=subject, order=order, name=b"Grace", address="{}", country="US"))
    assert not Order.objects.filter(subject=subject).exists()
    assert not Delivery.objects.filter(subject=subject).exists()


def test_a_row_is_written_as_its_object_stands_when_the_block_ends() -> None:
    with transaction.atomic(), together():
        order = insert(_order())
        order.payment_id = None
        order.status = "payment_failed"
    assert Order.objects.get(pk=order.pk).status == "payment_failed"


def test_a_savepoint_rolled_back_inside_takes_its_rows_with_it() -> None:
    subject = uuid.uuid4()
    with transaction.atomic(), together():
        kept = insert(_order(subject=subject))
        try:
            with transaction.atomic():  # a savepoint: its row goes in at once
                dropped = insert(_order(subject=subject))
                assert Order.objects.filter(pk=dropped.pk).exists()
                raise Boom
        except Boom:
            pass
    assert list(Order.objects.filter(subject=subject).values_list("pk", flat=True)) == [kept.pk]


def test_a_caught_error_that_dooms_the_transaction_writes_nothing() -> None:
    subject = uuid.uuid4()
    with transaction.atomic():
        with together():
            insert(_order(subject=subject))
            try:
                with transaction.atomic(savepoint=False):
                    raise Boom
            except Boom:
                pass  # the transaction is now marked for rollback
        assert connection.needs_rollback
        transaction.set_rollback(False)  # reading on would be refused otherwise
    assert not Order.objects.filter(subject=subject).exists()


@pytest.mark.django_db(transaction=True)
def test_together_needs_a_transaction() -> None:
    with pytest.raises(TransactionManagementError), together():
        pass


def test_a_write_for_later_runs_with_the_rows_and_at_once_outside_a_block() -> None:
    from lookout.core.rows import write_later
    from lookout.orders.testing import make_product

    product = make_product(stock=5)
    sql = "UPDATE catalog_product SET stock = stock - %s WHERE id = %s"
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), together():
        insert(_order())
        write_later(sql, [2, product.pk])
        assert type(product).objects.get(pk=product.pk).stock == 5  # not yet
    assert type(product).objects.get(pk=product.pk).stock == 3
    writes = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and "INSERT INTO" in writes[0]  # one statement for both
    write_later(sql, [1, product.pk])
    assert type(product).objects.get(pk=product.pk).stock == 2
