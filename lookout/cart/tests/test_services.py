from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from lookout.cart import services
from lookout.cart.models import Cart, CartLine
from lookout.catalog.tests import factories
from lookout.core.errors import Conflict, NotFound


@pytest.mark.commitment("C1.2")
@pytest.mark.django_db
def test_totals_are_exact_usd_with_free_shipping():
    # given products at prices that add up badly in binary floating point
    a = factories.product(list_price=Decimal("0.20"), price=Decimal("0.10"))
    b = factories.product(list_price=Decimal("0.30"), price=Decimal("0.20"))
    cart, _ = services.open_cart()
    services.add_to_cart(cart=cart, sku=a.sku, quantity=3)
    services.add_to_cart(cart=cart, sku=b.sku, quantity=1)
    # when the cart is summed
    summary = services.summarize(cart=cart)
    # then the total is exact to the cent and shipping is free
    assert summary.subtotal == Decimal("0.50")
    assert summary.shipping == Decimal("0.00")
    assert summary.total == Decimal("0.50")
    assert summary.saving == Decimal("0.40")
    assert summary.items == 4


@pytest.mark.django_db
def test_adding_twice_raises_the_quantity_and_zero_removes():
    p = factories.product()
    cart, _ = services.open_cart()
    services.add_to_cart(cart=cart, sku=p.sku)
    services.add_to_cart(cart=cart, sku=p.sku, quantity=2)
    assert CartLine.objects.get(cart=cart).quantity == 3
    services.set_quantity(cart=cart, sku=p.sku, quantity=0)
    assert not CartLine.objects.filter(cart=cart).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [-1, 0, 100, 10**12])
def test_out_of_range_quantities_are_refused_and_change_nothing(quantity):
    p = factories.product(stock=500)
    cart, _ = services.open_cart()
    services.add_to_cart(cart=cart, sku=p.sku, quantity=1)
    with pytest.raises(services.CartError):
        services.add_to_cart(cart=cart, sku=p.sku, quantity=quantity)
    assert CartLine.objects.get(cart=cart).quantity == 1


@pytest.mark.django_db
def test_more_than_in_stock_is_a_conflict():
    p = factories.product(stock=2)
    cart, _ = services.open_cart()
    with pytest.raises(Conflict, match="Only 2"):
        services.add_to_cart(cart=cart, sku=p.sku, quantity=3)
    sold_out = factories.product(stock=0)
    with pytest.raises(Conflict, match="out of stock"):
        services.add_to_cart(cart=cart, sku=sold_out.sku)


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "short", "x" * 43, "../../etc/passwd", "a" * 1000])
def test_unknown_or_malformed_tokens_find_no_cart(token):
    services.open_cart()
    with pytest.raises(NotFound):
        services.get_cart(token=token)


@pytest.mark.django_db
def test_only_a_hash_of_the_token_is_stored():
    # given a cart
    _, token = services.open_cart()
    # then the raw token appears nowhere in the cart table
    with connection.cursor() as cursor:
        cursor.execute("SELECT token_hash FROM cart_cart")
        stored = [row[0] for row in cursor.fetchall()]
    assert token not in " ".join(stored)
    assert services.get_cart(token=token).token_hash == stored[0]


@pytest.mark.django_db
def test_stale_carts_are_purged_after_the_retention_period():
    fresh, _ = services.open_cart()
    stale, _ = services.open_cart()
    Cart.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=31))
    assert services.purge_stale_carts() == 1
    assert list(Cart.objects.values_list("pk", flat=True)) == [fresh.pk]
