"""Two buyers of the last unit at the same moment, on real concurrent transactions."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from lookout.catalog.models import Product
from lookout.core.errors import LookoutError
from lookout.orders.models import Order
from lookout.orders.services import place_order
from lookout.orders.testing import details, make_cart, make_product


def _race(calls: list) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except LookoutError as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_two_checkouts_for_the_last_unit_make_one_order() -> None:
    # Given one camera left in two buyers' carts
    camera = make_product(stock=1)
    cart_a, _ = make_cart(camera)
    cart_b, _ = make_cart(camera)
    # When both submit at the same moment
    results = _race(
        [
            lambda c=c, k=k: place_order(cart=c, delivery=details(), idempotency_key=k, user=None)
            for c, k in ((cart_a, "race-a"), (cart_b, "race-b"))
        ]
    )
    # Then exactly one order exists, the other buyer got a clear out-of-stock message
    orders = [r for r in results if isinstance(r, Order)]
    refusals = [r for r in results if isinstance(r, LookoutError)]
    assert len(orders) == 1 and len(refusals) == 1, results
    assert "sold out" in refusals[0].message
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=camera.pk).stock == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_same_submit_twice_at_once_makes_one_order() -> None:
    camera = make_product(stock=5)
    cart, _ = make_cart(camera)
    results = _race(
        [
            lambda: place_order(cart=cart, delivery=details(), idempotency_key="same", user=None)
            for _ in range(2)
        ]
    )
    assert all(isinstance(r, Order) for r in results), results
    assert {r.pk for r in results if isinstance(r, Order)} == {Order.objects.get().pk}
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=camera.pk).stock == 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended", "partners", "policies")
@pytest.mark.commitment("C5.3")
def test_two_payment_starts_of_one_order_at_once_disclose_to_the_processor_once() -> None:
    from lookout.orders.payment import begin_payment
    from lookout.payments.models import Payment
    from lookout.sharing.models import Disclosure

    # given a placed order (a double click, or an API client retrying at once)
    cart, _ = make_cart(make_product(stock=5))
    order = place_order(cart=cart, delivery=details(), idempotency_key="pay-race", user=None)
    # when its payment is started twice at the same instant
    results = _race(
        [
            lambda: begin_payment(order=Order.objects.get(pk=order.pk), return_url="/r/")
            for _ in range(2)
        ]
    )
    # then both send the buyer to the same payment page, and the name went to the processor,
    # and into the ledger, once
    assert all(isinstance(r, str) and r for r in results), results
    assert results[0] == results[1]
    assert Payment.objects.count() == 1
    assert Disclosure.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
@pytest.mark.skipif(
    connections["default"].vendor != "postgresql",
    reason="SQLite serialises the two submits with its write lock: nothing to wait on",
)
def test_a_double_click_for_the_last_unit_gets_the_first_order_not_sold_out() -> None:
    # Given one camera left, and a first submit that has placed its order but not committed
    camera = make_product(stock=1)
    cart, _ = make_cart(camera)
    placed, release = threading.Event(), threading.Event()

    def hold(order: Order) -> None:
        placed.set()
        release.wait(30)

    def first() -> Order:
        return place_order(
            cart=cart, delivery=details(), idempotency_key="dbl", user=None, on_placed=hold
        )

    def second() -> Order:
        placed.wait(30)
        return place_order(cart=cart, delivery=details(), idempotency_key="dbl", user=None)

    results: list[object] = [None, None]

    def run(i: int, call) -> None:  # type: ignore[no-untyped-def]
        try:
            results[i] = call()
        except LookoutError as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for t in threads:
        t.start()
    # When the second submit (same key) waits for the camera's lock while the first commits
    assert placed.wait(30)
    with connections["default"].cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the second submit never waited for the lock")
    release.set()
    for t in threads:
        t.join(60)
    # Then both get the one order, nobody is told "sold out", and one unit left the shelf
    assert all(isinstance(r, Order) for r in results), results
    assert {r.pk for r in results if isinstance(r, Order)} == {Order.objects.get().pk}
    assert Product.objects.get(pk=camera.pk).stock == 0
