"""`core.rows.insert` writes exactly the row the ORM's save would, and refuses what it must not
write: personal (encrypted) fields are sealed by the same `pre_save` as the ORM's save, and a
value that is not text is refused before anything is written."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import models
from django.db.models import signals

from lookout.audit.models import AuditEntry
from lookout.core.rows import NotForFastInsert, insert
from lookout.orders.models import Delivery, Order, OrderEvent, OrderLine
from lookout.orders.testing import make_product, policies  # noqa: F401 fixture
from lookout.payments.models import Payment
from lookout.policies.models import PolicyAcceptance
from lookout.sharing.models import Disclosure
from lookout.vault.fields import EncryptedField
from lookout.vault.models import DataKey

pytestmark = pytest.mark.django_db

# Every model checkout writes through `insert`: none may rely on a save signal.
INSERTED = [
    Order,
    OrderLine,
    OrderEvent,
    Disclosure,
    DataKey,
    AuditEntry,
    Payment,
    PolicyAcceptance,
    Order.policy_versions.through,
]


def _order(**overrides: object) -> Order:
    values: dict = {
        "number": "LK-" + uuid.uuid4().hex[:8].upper(),
        "subject": uuid.uuid4(),
        "status": "placed",
        "subtotal": Decimal("126.99"),
        "shipping": Decimal("0.00"),
        "total": Decimal("126.99"),
        "idempotency_key": uuid.uuid4().hex,
        **overrides,
    }
    return Order(**values)


def _stored(model: type[models.Model], pk: object) -> dict:
    """Every stored column (editable or not), as read back by the ORM."""
    row = model._default_manager.get(pk=pk)
    return {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}


def test_a_row_inserted_reads_back_as_the_orm_would_have_written_it() -> None:
    # Given the same order saved by the ORM and inserted by the helper
    by_orm = _order(idempotency_key="orm-1", number="LK-ORM00001")
    by_orm.save(force_insert=True)
    fast = insert(_order(idempotency_key="fast-1", number="LK-FAST0001", subject=by_orm.subject))
    # Then both rows read back alike (apart from what must differ), and the object is saved
    a, b = _stored(Order, by_orm.pk), _stored(Order, fast.pk)
    for differs in ("id", "number", "idempotency_key", "placed_at"):
        a.pop(differs, None), b.pop(differs, None)
    assert a == b
    assert fast._state.adding is False and Order.objects.get(pk=fast.pk).total == Decimal("126.99")


def test_an_auto_numbered_row_gets_its_key_and_its_defaults() -> None:
    order = insert(_order())
    product = make_product(stock=3)
    line = insert(
        OrderLine(
            order=order,
            product_id=product.pk,
            sku=product.sku,
            name=product.name,
            unit_price=product.price,
            quantity=2,
            line_total=product.price * 2,
        )
    )
    event = insert(OrderEvent(order=order, from_status="", to_status="placed", actor_ref="guest"))
    # the database numbered both, and the default time was filled in as save() would
    assert line.pk is not None and event.pk is not None
    stored = OrderEvent.objects.get(pk=event.pk)
    assert stored.at is not None and stored.at == event.at
    assert OrderLine.objects.get(pk=line.pk).quantity == 2


SEALED_VALUES = {
    "name": "Ada Lovelace-Byron",
    "address": '{"city": "Ockham", "street_address": "12 St James\'s Square"}',
    "phone": "+442079460000",
    "email": "ada.lovelace@example.org",
}


@pytest.mark.commitment("C4.2")
def test_personal_fields_are_sealed_exactly_as_the_orms_save_seals_them() -> None:
    # Given the same delivery details saved by the ORM and inserted by the helper
    from django.db import connection

    from lookout.vault.crypto import new_subject, open_sealed

    subject = new_subject(kind=DataKey.Kind.GUEST)
    first, second = insert(_order(subject=subject)), insert(_order(subject=subject))
    by_orm = Delivery(subject=subject, order=first, country="GB", **SEALED_VALUES)
    by_orm.save(force_insert=True)
    fast = insert(Delivery(subject=subject, order=second, country="GB", **SEALED_VALUES))
    # Then what is stored is ciphertext in both rows, with no plaintext in it
    columns = ", ".join(SEALED_VALUES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM orders_delivery")
        stored = cursor.fetchall()
    assert len(stored) == 2
    for row in stored:
        for value in row:
            blob = bytes(value)
            assert not any(text.encode() in blob for text in SEALED_VALUES.values())
            assert not any(part.encode() in blob for part in ("Ada", "Ockham", "example.org"))
    # And both open, under the person's key and each row's own context, to the same values
    for delivery in (by_orm, fast):
        row = Delivery.objects.get(pk=delivery.pk)
        for name, plaintext in SEALED_VALUES.items():
            field = Delivery._meta.get_field(name)
            assert isinstance(field, EncryptedField)
            sealed = getattr(row, name)
            opened = open_sealed(subject=subject, blob=sealed.blob, context=field.context(row))
            assert opened == plaintext


@pytest.mark.commitment("C4.2")
def test_a_personal_value_that_is_not_text_is_refused_and_nothing_is_written() -> None:
    # Only text is sealed; anything else (bytes that could be plaintext) never reaches the table
    order = insert(_order())
    delivery = Delivery(subject=order.subject, order=order, name=b"Ada", address="{}", country="US")
    with pytest.raises(TypeError, match="plaintext only"):
        insert(delivery)
    assert not Delivery.objects.filter(order=order).exists()


def test_a_model_with_its_own_save_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from lookout.core import rows

    def save(self: OrderEvent, *args: object, **kwargs: object) -> None:
        self.note = "stamped by save()"
        models.Model.save(self, *args, **kwargs)  # type: ignore[arg-type]

    # Given a model whose save() does more than write the row (and no statement built yet)
    monkeypatch.setattr(OrderEvent, "save", save)
    monkeypatch.setattr(rows, "_plans", {})
    order = insert(_order())
    # Then insert() refuses it rather than skip that save(), and writes nothing
    with pytest.raises(NotForFastInsert, match="its own save"):
        insert(OrderEvent(order=order, from_status="", to_status="placed", actor_ref="guest"))
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize("model", INSERTED, ids=lambda m: m._meta.label)
def test_no_model_inserted_this_way_relies_on_a_save_signal(model: type[models.Model]) -> None:
    # insert() sends no signal: a receiver added later would silently miss these rows
    for signal in (signals.pre_save, signals.post_save):
        assert not signal.has_listeners(model), f"{model._meta.label} has a {signal} receiver"


def _entries(count: int, first_seq: int) -> list[AuditEntry]:
    from django.utils import timezone

    return [
        AuditEntry(seq=first_seq + n, at=timezone.now(), actor_ref="system", action="test.many",
                   detail={"n": n}, lane=99, lane_seq=first_seq + n, prev_hash="0" * 64,
                   hash=f"{n:064x}")
        for n in range(count)
    ]  # fmt: skip


def test_many_rows_in_one_statement_read_back_as_the_orm_would_have_written_them() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lookout.core.rows import insert_many

    by_orm = _entries(3, 900_000)
    for entry in by_orm:
        entry.save(force_insert=True)
    fast = _entries(3, 900_100)
    with CaptureQueriesContext(connection) as queries:
        insert_many(fast)
    assert len(queries.captured_queries) == 1
    for a, b in zip(by_orm, fast, strict=True):
        stored_a, stored_b = _stored(AuditEntry, a.pk), _stored(AuditEntry, b.pk)
        for differs in ("seq", "at", "lane_seq"):
            stored_a.pop(differs), stored_b.pop(differs)
        assert stored_a == stored_b
        assert b._state.adding is False


def test_more_rows_than_one_statement_takes_go_in_several() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lookout.core.rows import insert_many

    many = _entries(2500, 910_000)  # 16 columns: past SQLite's 999 parameters many times over
    with CaptureQueriesContext(connection) as queries:
        insert_many(many)
    assert AuditEntry.objects.filter(action="test.many").count() == 2500
    per_statement = connection.ops.bulk_batch_size(
        [f for f in AuditEntry._meta.concrete_fields], many
    )
    assert len(queries.captured_queries) == -(-2500 // per_statement)


def test_many_rows_must_be_of_one_model_and_carry_their_keys() -> None:
    from lookout.core.rows import insert_many

    half_numbered = _entries(2, 920_000)
    half_numbered[1].seq = None
    with pytest.raises(NotForFastInsert):
        insert_many(half_numbered)
    with pytest.raises(NotForFastInsert, match="auto key"):  # a UUID key must be given
        insert_many([PolicyAcceptance(pk=None, subject=uuid.uuid4(), how="order")])
    with pytest.raises(NotForFastInsert):
        insert_many([*_entries(1, 920_010), _order()])
    assert not AuditEntry.objects.filter(action="test.many").exists()


@pytest.mark.usefixtures("policies")
def test_rows_without_keys_are_numbered_by_the_database() -> None:
    from lookout.core.rows import insert_many
    from lookout.policies.models import PolicyVersion

    order = insert(_order())
    versions = list(PolicyVersion.objects.all()[:2])
    assert len(versions) == 2
    links = Order.policy_versions.through
    rows = [links(order_id=order.pk, policyversion_id=v.pk) for v in versions]
    insert_many(rows)
    assert set(order.policy_versions.values_list("pk", flat=True)) == {v.pk for v in versions}
    assert all(row.pk is None for row in rows)  # not read back, as documented


def test_read_gives_the_objects_the_orm_reads_with_every_value_converted_alike() -> None:
    """`core.rows.read` against the ORM: every column of two models with uuids, decimals, times,
    JSON and an auto key, in the model's order and out of it, and extra columns as attributes."""
    from django.db import connection

    from lookout.core.rows import columns, read

    order = insert(_order(idempotency_key="read-1"))
    insert(AuditEntry(seq=990_001, at=order.placed_at, actor_ref="system", action="test.read",
                      detail={"n": [1, "two"]}, fields=["a.b.c"], lane=3, lane_seq=990_001,
                      prev_hash="0" * 64, hash="1" * 64))  # fmt: skip
    cases: list[tuple[type[models.Model], object]] = [(Order, order.pk), (AuditEntry, 990_001)]
    for model, pk in cases:
        names = [f.name for f in model._meta.concrete_fields]
        key = model._meta.pk
        assert key is not None
        sql = (f"SELECT {columns(model)}, 7 AS lucky FROM {model._meta.db_table} "
               f"WHERE {key.column} = %s")  # fmt: skip
        prepared = key.get_db_prep_value(pk, connection)
        (fast,) = read(model, sql, [prepared], fields=names, extra=["lucky"])
        by_orm = model._default_manager.get(pk=pk)
        for field in model._meta.concrete_fields:
            assert getattr(fast, field.attname) == getattr(by_orm, field.attname), field.name
            assert type(getattr(fast, field.attname)) is type(getattr(by_orm, field.attname))
        assert fast.lucky == 7  # type: ignore[attr-defined]
        assert fast._state.adding is False
    # a few fields, out of the model's order: the rest deferred, the read ones right
    picked = ["total", "id", "status"]
    sql = "SELECT total, id, status FROM orders_order WHERE id = %s"
    (few,) = read(Order, sql, [Order._meta.pk.get_db_prep_value(order.pk, connection)],  # type: ignore[union-attr]
                  fields=picked)  # fmt: skip
    assert (few.total, few.id, few.status) == (Decimal("126.99"), order.pk, "placed")
    assert few.get_deferred_fields() >= {"number", "subject"}
