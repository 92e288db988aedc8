"""`core.rows.insert` writes exactly the row the ORM's save would, and refuses what it must not
write: personal (encrypted) fields go through the ORM's sealing save path only."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import models
from django.db.models import signals

from lookout.audit.models import AuditEntry
from lookout.core.rows import NotForFastInsert, insert
from lookout.orders.models import Delivery, Order, OrderEvent, OrderLine
from lookout.orders.testing import make_product
from lookout.sharing.models import Disclosure
from lookout.vault.models import DataKey

pytestmark = pytest.mark.django_db

# Every model checkout writes through `insert`: none may rely on a save signal.
INSERTED = [Order, OrderLine, OrderEvent, Disclosure, DataKey, AuditEntry]


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


@pytest.mark.commitment("C4.2")
def test_a_model_with_personal_fields_is_refused_and_nothing_is_written() -> None:
    order = insert(_order())
    delivery = Delivery(subject=order.subject, order=order, name="Ada", address="{}", country="US")
    with pytest.raises(NotForFastInsert, match="personal data"):
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
