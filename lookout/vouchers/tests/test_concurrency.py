"""A single-use code redeemed by two checkouts at the same moment, on real concurrent
transactions (two threads, two database connections): one order gets it, the other is told it
is used up, and the code counts one use."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from lookout.cart.services import add_to_cart, open_cart
from lookout.core.errors import LookoutError
from lookout.orders.models import Order
from lookout.orders.services import place_order
from lookout.orders.testing import details, make_product
from lookout.vouchers.models import Voucher
from lookout.vouchers.services import Item, Reason, VoucherRefused, redeem

ITEMS = [Item(key=1, total=Decimal("50.00"))]


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_second_redeem_waits_for_the_first_and_finds_the_code_used_up() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serializes writers (the race below)")
    Voucher.objects.create(code="ONCE", percent=10, usage_limit=1)
    first_counted, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = redeem("ONCE", ITEMS)
                first_counted.set()
                first_may_commit.wait(30)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                outcome["second"] = redeem("ONCE", ITEMS)
        except VoucherRefused as refused:
            outcome["second"] = refused
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_counted.wait(30)
    b = threading.Thread(target=second)
    b.start()
    # the second checkout read the code as unused (the first has not committed) and now waits
    # on the code's row
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock():
        assert time.monotonic() < deadline, "the second redeem never waited on the row"
        time.sleep(0.05)
    assert "second" not in outcome
    first_may_commit.set()
    a.join(30)
    b.join(30)
    assert outcome["first"].amount == Decimal("5.00")  # type: ignore[attr-defined]
    refused = outcome["second"]
    assert isinstance(refused, VoucherRefused) and refused.reason == Reason.USED_UP
    assert "has just been used up" in refused.message
    assert Voucher.objects.get(code="ONCE").times_used == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_two_checkouts_with_one_single_use_code_make_one_discounted_order() -> None:
    Voucher.objects.create(code="ONLYONE", percent=20, usage_limit=1)
    camera = make_product(price=Decimal("80.00"), stock=10)
    carts = []
    for _ in range(2):
        cart, _token = open_cart()
        add_to_cart(cart=cart, sku=camera.sku)
        cart.voucher_code = "ONLYONE"
        cart.save(update_fields=["voucher_code"])
        carts.append(cart)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = place_order(
                cart=carts[i], delivery=details(), idempotency_key=f"voucher-race-{i}", user=None
            )
        except LookoutError as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    orders = [r for r in results if isinstance(r, Order)]
    refusals = [r for r in results if isinstance(r, VoucherRefused)]
    assert len(orders) == 1 and len(refusals) == 1, results
    assert refusals[0].reason == Reason.USED_UP
    placed = Order.objects.get()
    assert (placed.voucher_code, placed.discount, placed.total) == (
        "ONLYONE",
        Decimal("16.00"),
        Decimal("64.00"),
    )
    assert Voucher.objects.get(code="ONLYONE").times_used == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_a_double_click_with_a_single_use_code_gets_its_one_order_twice() -> None:
    Voucher.objects.create(code="DOUBLE", percent=10, usage_limit=1)
    cart, _token = open_cart()
    add_to_cart(cart=cart, sku=make_product(price=Decimal("50.00"), stock=5).sku)
    cart.voucher_code = "DOUBLE"
    cart.save(update_fields=["voucher_code"])
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = place_order(
                cart=cart, delivery=details(), idempotency_key="same-click", user=None
            )
        except LookoutError as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # both submits answer with the one order: the second is not told the code is used up
    assert all(isinstance(r, Order) for r in results), results
    assert {r.pk for r in results if isinstance(r, Order)} == {Order.objects.get().pk}
    assert Order.objects.get().discount == Decimal("5.00")
    assert Voucher.objects.get(code="DOUBLE").times_used == 1
