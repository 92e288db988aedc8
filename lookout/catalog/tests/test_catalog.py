from decimal import Decimal

import pytest
from django.db import IntegrityError

from lookout.catalog import demo, selectors
from lookout.catalog.models import Category, Product
from lookout.catalog.services import CatalogError
from lookout.catalog.tests import factories


@pytest.mark.commitment("C1.2")
@pytest.mark.django_db
def test_saving_is_exact_in_amount_and_percent():
    p = factories.product(list_price=Decimal("59.99"), price=Decimal("44.99"))
    assert p.saving == Decimal("15.00")
    assert p.saving_percent == 25
    stored = Product.objects.get(pk=p.pk)
    assert isinstance(stored.price, Decimal)
    assert str(stored.price) == "44.99"


@pytest.mark.commitment("C1.2")
@pytest.mark.django_db
def test_prices_refuse_floats_and_prices_above_list():
    with pytest.raises(ValueError):
        factories.product(price=19.99)
    with pytest.raises(CatalogError):
        factories.product(list_price=Decimal("10.00"), price=Decimal("12.00"))


@pytest.mark.django_db
def test_database_refuses_a_price_above_the_list_price():
    p = factories.product()
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=p.pk).update(price=Decimal("500.00"))


@pytest.mark.django_db
def test_demo_load_is_idempotent_and_covers_every_category(demo_catalog):
    # given the demo catalog, loaded once by the fixture
    before = sorted(Product.objects.values_list("sku", "price", "stock", "name"))
    # when it is loaded again
    demo.load(progress=lambda m: None)
    # then nothing changed and every category has products
    assert sorted(Product.objects.values_list("sku", "price", "stock", "name")) == before
    assert len(before) >= 60
    assert Category.objects.count() == 8
    assert not Category.objects.filter(products__isnull=True).exists()
    accessory = Product.objects.filter(category__slug="accessories")[0]
    assert accessory.works_with.count() == 4


@pytest.mark.django_db
def test_filters_combine_price_range_resolution_stock_and_sale(demo_catalog):
    category = Category.objects.get(slug="outdoor-cameras")
    filters = {
        "min_price": Decimal("40"),
        "max_price": Decimal("200"),
        "resolution": 1440,
        "in_stock": True,
        "on_sale": True,
        "sort": "price",
    }
    found = list(selectors.category_products(category=category, filters=filters))
    assert found
    for p in found:
        assert Decimal("40") <= p.price <= Decimal("200")
        assert (p.resolution or 0) >= 1440 and p.stock > 0 and p.price < p.list_price
    assert [p.price for p in found] == sorted(p.price for p in found)


@pytest.mark.django_db
def test_sort_by_discount_and_newest():
    a = factories.product(list_price=Decimal("100"), price=Decimal("90"))
    b = factories.product(list_price=Decimal("100"), price=Decimal("50"))
    c = factories.product(list_price=Decimal("100"), price=Decimal("100"))
    category = a.category
    by_discount = selectors.category_products(category=category, filters={"sort": "discount"})
    assert [p.pk for p in by_discount] == [b.pk, a.pk, c.pk]
    newest = list(selectors.category_products(category=category, filters={"sort": "newest"}))
    assert [p.released_on for p in newest] == sorted((p.released_on for p in newest), reverse=True)


@pytest.mark.django_db
def test_placement_filter_includes_products_for_both():
    indoor = factories.product(placement="indoor")
    both = factories.product(placement="both")
    factories.product(placement="outdoor")
    found = selectors.category_products(category=indoor.category, filters={"placement": "indoor"})
    assert {p.pk for p in found} == {indoor.pk, both.pk}


@pytest.mark.django_db
def test_comparison_keeps_order_and_caps_at_four():
    products = [factories.product() for _ in range(6)]
    skus = [p.sku for p in reversed(products)]
    chosen = selectors.products_by_sku(skus=[*skus, "missing"])
    assert [p.sku for p in chosen] == skus[:4]
    table = selectors.compare(products=chosen)
    assert dict(table.rows)["Price"] == ["$80.00"] * 4
