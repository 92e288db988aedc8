"""Orders of product variants (docs/decisions/0046-product-variants.md): the order line names
the variant bought, the variant's stock is taken and given back, and its parent's stock, the
sum of its variants', moves with it; a parent that slipped into a cart is never sold."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest

from lookout.cart.models import CartLine
from lookout.cart.services import open_cart
from lookout.catalog.models import Product
from lookout.catalog.tests.factories import product_with_variants
from lookout.orders.services import CheckoutError, expire_order, place_order
from lookout.orders.testing import details, make_cart


def _doorbell() -> tuple[Product, Product, Product]:
    parent, (black, white) = product_with_variants(
        [
            {"sku": "DB-BLK", "options": [["Colour", "Black"]], "price": Decimal("80.00")},
            {"sku": "DB-WHT", "options": [["Colour", "White"]], "price": Decimal("95.00")},
        ],
        name="Kestrel Doorbell Pro",
    )
    return parent, black, white


def _stock(*items: Product) -> list[int]:
    return [Product.objects.get(pk=p.pk).stock for p in items]


@pytest.mark.django_db
def test_an_order_line_names_the_variant_and_its_stock_and_the_parents_move(policies, partners):
    # given a doorbell in black and white, 5 of each (so 10 for the product)
    parent, black, white = _doorbell()
    assert _stock(parent, black, white) == [10, 5, 5]
    # when a guest orders 2 black ones
    cart, _ = make_cart(black, quantity=2)
    order = place_order(
        cart=cart, delivery=details(), idempotency_key=secrets.token_urlsafe(16), user=None
    )
    # then the line says which variant, at its price, and the stock of it and its product fell
    line = order.lines.get()
    assert (line.sku, line.name) == ("DB-BLK", "Kestrel Doorbell Pro — Colour: Black")
    assert line.unit_price == Decimal("80.00") and line.line_total == Decimal("160.00")
    assert _stock(parent, black, white) == [8, 3, 5]
    # when the order expires unpaid, both come back
    expire_order(order=order)
    assert _stock(parent, black, white) == [10, 5, 5]


@pytest.mark.django_db
def test_a_parent_in_a_cart_is_never_sold(policies, partners):
    # given a cart line naming the parent itself (a product that got variants after it was
    # added to a cart)
    parent, _black, _white = _doorbell()
    cart, _ = open_cart()
    CartLine.objects.create(cart=cart, product=parent, quantity=1)
    # when the cart is checked out, then it is refused with a sentence and nothing is taken
    with pytest.raises(CheckoutError, match="choose one on its page"):
        place_order(
            cart=cart, delivery=details(), idempotency_key=secrets.token_urlsafe(16), user=None
        )
    assert _stock(parent) == [10]
