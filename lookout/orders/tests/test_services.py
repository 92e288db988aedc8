"""Placing orders and moving them through their states."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from decimal import Decimal

import pytest

from lookout.audit.models import AuditEntry
from lookout.cart.models import CartLine
from lookout.catalog.models import Product
from lookout.inbox.models import Message
from lookout.orders import cancellation, services
from lookout.orders.models import Delivery, Order, OrderEvent, Status
from lookout.orders.testing import RECIPIENT, details, make_cart, make_product, place
from lookout.policies.models import Document, PolicyAcceptance
from lookout.testing.raw import raw_rows
from lookout.vault.models import DataKey

pytestmark = pytest.mark.django_db


def test_guest_order_reserves_stock_and_seals_delivery_under_a_guest_key() -> None:
    # Given a camera with 5 in stock
    camera = make_product(stock=5, price=Decimal("79.99"), list_price=Decimal("99.00"))
    cart, _ = make_cart(camera, 2)
    # When a guest places the order
    order = services.place_order(cart=cart, delivery=details(), idempotency_key="k-1", user=None)
    # Then stock is reserved, totals are exact USD, the buyer is a fresh guest subject
    assert Product.objects.get(pk=camera.pk).stock == 3
    assert order.status == Status.PLACED
    assert (order.subtotal, order.shipping, order.total) == (
        Decimal("159.98"),
        Decimal("0.00"),
        Decimal("159.98"),
    )
    assert DataKey.objects.get(subject=order.subject).kind == DataKey.Kind.GUEST
    # and the recipient's details are ciphertext in the table itself
    stored = b"".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
        for row in raw_rows("orders_delivery")
        for v in row
        if v is not None
    )
    for plain in (RECIPIENT, "Amphitheatre", "guest.buyer@example.com", "6505550123"):
        assert plain.encode() not in stored
    assert Delivery.objects.get(order=order).country == "US"


@pytest.mark.commitment("C3.5")
def test_placing_writes_event_audit_and_inbox_message() -> None:
    # Given / When
    order = place()
    # Then the change is an event, an audit entry and one message in the buyer's inbox
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.actor_ref) == ("", "placed", "guest")
    assert AuditEntry.objects.filter(action="order.placed", subject_ref=str(order.subject)).exists()
    assert Message.objects.filter(subject=order.subject, kind="order_update").count() == 1


@pytest.mark.commitment("C1.3", "C1.2")
@pytest.mark.parametrize(
    ("country", "address"),
    [
        ("US", {"country_code": "US", "street_address": "1 Main St", "city": "X"}),
        ("JP", {"country_code": "JP", "street_address": "1-1"}),
        ("BR", {"country_code": "BR", "street_address": "Rua 1"}),
        ("NZ", {"country_code": "NZ", "street_address": "1 Queen St"}),
    ],
)
def test_shipping_is_free_to_every_country(country: str, address: dict[str, str]) -> None:
    # Given a 120.00 camera
    camera = make_product(price=Decimal("120.00"), list_price=Decimal("150.00"))
    # When it is ordered to the country
    order = place(camera, country=country, address=address)
    # Then shipping is exactly USD 0.00 and the total is the price, no handling fee
    assert order.shipping == Decimal("0.00")
    assert order.total == Decimal("120.00")


@pytest.mark.commitment("C1.2")
def test_cart_prices_are_read_as_exact_decimal_cents_and_totals_add_up() -> None:
    # Given a price whose binary float is inexact, bought three times
    lamp = make_product(price=Decimal("19.99"), list_price=Decimal("24.99"))
    cart, _ = make_cart(lamp, quantity=3)
    # When checkout reads the cart's products (one written-out statement, not the ORM query)
    (read,) = services._lock_cart_products(cart, "a key no order has")
    # Then the price is a Decimal, not a float, and the order adds up to the cent
    assert type(read.price) is Decimal and read.price == Decimal("19.99")
    order = services.place_order(
        cart=cart, delivery=details(), idempotency_key=secrets.token_hex(8), user=None
    )
    line = order.lines.get()
    assert (line.unit_price, line.quantity, line.line_total) == (
        Decimal("19.99"),
        3,
        Decimal("59.97"),
    )
    assert order.subtotal == Decimal("59.97") and order.total == Decimal("59.97")


@pytest.mark.commitment("C1.5")
@pytest.mark.usefixtures("policies")
def test_order_records_the_version_of_each_policy_in_force() -> None:
    # Given the three policies, each with a version in force
    # When an order is placed
    order = place()
    # Then the order lists one version per document, and acceptances of kind "order" exist
    documents = sorted(v.document for v in order.policy_versions.all())
    assert documents == sorted(Document.values)
    accepted = PolicyAcceptance.objects.filter(subject=order.subject, how="order")
    assert {a.version_id for a in accepted} == {v.pk for v in order.policy_versions.all()}


def test_same_idempotency_key_places_one_order() -> None:
    # Given a cart with one camera
    camera = make_product(stock=4)
    cart, _ = make_cart(camera, 1)
    key = secrets.token_urlsafe(16)
    # When the same submit arrives twice
    first = services.place_order(cart=cart, delivery=details(), idempotency_key=key, user=None)
    second = services.place_order(cart=cart, delivery=details(), idempotency_key=key, user=None)
    # Then there is one order and one unit reserved
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=camera.pk).stock == 3


def test_last_unit_goes_to_one_buyer_the_other_gets_a_clear_message() -> None:
    # Given one camera left and two carts holding it
    camera = make_product(stock=1)
    cart_a, _ = make_cart(camera)
    cart_b, _ = make_cart(camera)
    services.place_order(cart=cart_a, delivery=details(), idempotency_key="a", user=None)
    # When the second buyer submits
    with pytest.raises(services.OutOfStock) as refused:
        services.place_order(cart=cart_b, delivery=details(), idempotency_key="b", user=None)
    # Then they are told it sold out, and nothing of theirs was written
    assert "just sold out" in refused.value.message
    assert refused.value.status_code == 409
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=camera.pk).stock == 0


def test_empty_cart_is_refused() -> None:
    cart, _ = make_cart(make_product())
    CartLine.objects.filter(cart=cart).delete()
    with pytest.raises(services.CheckoutError, match="empty"):
        services.place_order(cart=cart, delivery=details(), idempotency_key="e", user=None)
    assert Order.objects.count() == 0


@pytest.mark.commitment("C1.6", "C3.5")
def test_paid_order_gets_ship_by_three_business_days_and_cart_empties(settings) -> None:
    # Given a placed order (paid on Friday 2026-07-03 with Monday 07-06 a warehouse holiday)
    settings.LOOKOUT_WAREHOUSE_HOLIDAYS = ["2026-07-06"]
    order = place()
    from datetime import UTC, datetime

    paid_at = datetime(2026, 7, 3, 15, 0, tzinfo=UTC)
    # When the payment is authorised
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.now", lambda: paid_at)
        services.mark_paid(order=order, payment_id=uuid.uuid4())
    order.refresh_from_db()
    # Then it must ship by Thursday 07-09 (Tue, Wed, Thu), and the cart is empty
    assert order.status == Status.PAID
    assert order.ship_by == date(2026, 7, 9)
    assert order.cart_id is not None
    assert not CartLine.objects.filter(cart_id=order.cart_id).exists()
    assert Message.objects.filter(subject=order.subject).count() == 2
    # and it is late from Friday 07-10 on, not before
    assert not order.is_late(today=date(2026, 7, 9))
    assert order.is_late(today=date(2026, 7, 10))


def test_mark_paid_twice_changes_nothing_the_second_time() -> None:
    order = place()
    payment = uuid.uuid4()
    services.mark_paid(order=order, payment_id=payment)
    services.mark_paid(order=order, payment_id=payment)
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1


def test_payment_failure_puts_stock_back() -> None:
    camera = make_product(stock=2)
    order = place(camera)
    assert Product.objects.get(pk=camera.pk).stock == 1
    services.mark_payment_failed(order=order, note="Your card was declined.")
    order.refresh_from_db()
    assert order.status == Status.PAYMENT_FAILED
    assert Product.objects.get(pk=camera.pk).stock == 2


@pytest.mark.parametrize("target", [Status.SHIPPED, Status.DELIVERED, Status.PROCESSING])
def test_placed_order_cannot_skip_payment(target: str) -> None:
    # Given a placed (unpaid) order
    order = place()
    # When something tries to move it past payment
    with pytest.raises(services.InvalidTransition):
        services.transition(order=order, to=target, actor=None)
    # Then nothing changed
    order.refresh_from_db()
    assert order.status == Status.PLACED
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_cancel_puts_stock_back_and_tells_the_buyer() -> None:
    camera = make_product(stock=1)
    order = place(camera)
    cancellation.cancel_order(order=order, actor=None, note="Cancelled at the buyer's request.")
    assert Product.objects.get(pk=camera.pk).stock == 1
    assert Message.objects.filter(dedupe_key=f"order:{order.id}:cancelled").exists()


def test_an_order_number_drawn_twice_is_drawn_again_and_nothing_half_written(monkeypatch) -> None:
    # given an order already holding a number, and a draw that first repeats that number
    first_cart, _ = make_cart(make_product(stock=5))
    taken = services.place_order(
        cart=first_cart, delivery=details(), idempotency_key="nr-1", user=None
    )
    draws = iter([taken.number, "LK-NEWNUMB2"])
    monkeypatch.setattr(services, "new_order_number", lambda: next(draws))
    keys_before = DataKey.objects.count()
    # when the next order is placed
    cart, _ = make_cart(make_product(stock=5))
    order = services.place_order(cart=cart, delivery=details(), idempotency_key="nr-2", user=None)
    # then it gets the fresh number, and the clashing attempt left no order, key or line behind
    assert order.number == "LK-NEWNUMB2"
    assert Order.objects.filter(number=taken.number).count() == 1
    assert Order.objects.count() == 2 and DataKey.objects.count() == keys_before + 1
