"""An order exists only with its key (issue 27, finding 1; C4.2).

The key store and the main database commit apart. A fault run lost the keys of two accepted
orders: checkout committed the order first and the buyer's data key second, and a crash between
the two commits left orders whose delivery details nobody can open, answered 201 on every retry.
These tests make the key store's commit fail for real (a deferred foreign key, checked only at
COMMIT) and check what survives; and they check that a retry never reports an unopenable order
as placed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client

from lookout.access import reveal
from lookout.core.purposes import Purpose
from lookout.orders.models import Order
from lookout.orders.testing import make_cart, make_product
from lookout.vault.crypto import KeyNotDurable, new_subject
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

URL = "/api/v1/checkout/orders"
DELIVERY = {
    "country": "US",
    "name": "Ada Lovelace",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "country_area": "CA",
    "postal_code": "94043",
    "email": "ada@example.com",
}

_SQLITE_GATE = [
    "CREATE TABLE commit_gate_parent (id INTEGER PRIMARY KEY)",
    "CREATE TABLE commit_gate (ref INTEGER REFERENCES commit_gate_parent (id) "
    "DEFERRABLE INITIALLY DEFERRED)",
    "CREATE TRIGGER key_commit_fails AFTER INSERT ON vault_datakey "
    "BEGIN INSERT INTO commit_gate (ref) VALUES (1); END",
]
_POSTGRES_GATE = [
    "CREATE TABLE commit_gate_parent (id integer PRIMARY KEY)",
    "CREATE TABLE commit_gate (ref integer REFERENCES commit_gate_parent (id) "
    "DEFERRABLE INITIALLY DEFERRED)",
    "CREATE FUNCTION commit_gate_fill() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN INSERT INTO commit_gate VALUES (1); RETURN NEW; END $$",
    "CREATE TRIGGER key_commit_fails AFTER INSERT ON vault_datakey "
    "FOR EACH ROW EXECUTE FUNCTION commit_gate_fill()",
]
_UNGATE = [
    "DROP TRIGGER key_commit_fails{on}",
    "DROP TABLE commit_gate",
    "DROP TABLE commit_gate_parent",
]


def _run(statements: list[str]) -> None:
    with connections[KEYSTORE].cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def key_store_commit_fails() -> Iterator[None]:
    """Every key-store transaction that adds a data key fails at its COMMIT, as when the key
    store's server restarts or its disk fails at that moment (the statements themselves pass)."""
    postgres = connections[KEYSTORE].vendor == "postgresql"
    _run(_POSTGRES_GATE if postgres else _SQLITE_GATE)
    try:
        yield
    finally:
        on = " ON vault_datakey" if postgres else ""
        _run([s.format(on=on) for s in _UNGATE])
        if postgres:
            _run(["DROP FUNCTION commit_gate_fill()"])


def _checkout(body: dict[str, Any]) -> Any:
    return Client(raise_request_exception=False).post(URL, body, content_type="application/json")


def _unopenable_orders() -> list[str]:
    keyed = set(DataKey.objects.values_list("subject", flat=True))
    return [o.number for o in Order.objects.all() if o.subject not in keyed]


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "partners", "policies")
def test_a_failed_key_commit_places_no_order_and_the_retry_places_one_that_opens(
    staff: Any,
) -> None:
    # given a cart and a key store whose next commit fails
    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    body = {"cart": cart, "idempotency_key": "crash-between-commits", "delivery": DELIVERY}
    # when a guest checks out while the key store loses its commit
    with key_store_commit_fails():
        failed = _checkout(body)
    # then the buyer is told to try again, and no order exists without its key
    assert failed.status_code == 503, failed.content
    assert "try again" in failed.json()["detail"]
    assert _unopenable_orders() == []
    assert Order.objects.count() == 0
    # when the buyer retries with the same request once the key store is back
    retried = _checkout(body)
    # then one order is placed, and the warehouse can open its delivery details
    assert retried.status_code == 201, retried.content
    order = Order.objects.get(number=retried.json()["number"])
    warehouse, _ = staff("warehouse")
    shown = reveal(order.delivery, ["name"], purpose=Purpose.FULFILMENT, actor=warehouse)
    assert shown["name"] == "Ada Lovelace"
    assert _unopenable_orders() == []


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
@pytest.mark.usefixtures("partners", "policies")
def test_a_retry_never_reports_an_order_whose_key_is_gone_as_placed() -> None:
    # given a guest order placed through the API ...
    camera = make_product(stock=3)
    _, cart = make_cart(camera)
    body = {"cart": cart, "idempotency_key": "lost-its-key-1", "delivery": DELIVERY}
    placed = _checkout(body)
    assert placed.status_code == 201, placed.content
    # ... whose key is gone (as the fault run's two orders: committed without their key)
    order = Order.objects.get(number=placed.json()["number"])
    DataKey.objects.filter(subject=order.subject).delete()
    # when the client retries the same request
    retried = _checkout(body)
    # then it is not told the order was placed: 409 with words a person understands
    assert retried.status_code == 409, retried.content
    assert "cannot be resumed" in retried.json()["detail"]
    assert "Nothing was charged" in retried.json()["detail"]


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_a_new_key_refuses_to_wait_for_its_callers_key_store_transaction() -> None:
    # given a caller holding a key-store transaction (the old checkout's shape: the key would
    # commit with it, after the main database's commit of the order)
    with transaction.atomic(using=KEYSTORE), pytest.raises(KeyNotDurable):
        # when it asks for a new person's key, then it is refused
        new_subject(kind=DataKey.Kind.GUEST)
    # and outside one, the key is made and committed on its own
    subject = new_subject(kind=DataKey.Kind.GUEST)
    assert DataKey.objects.filter(subject=subject).exists()
