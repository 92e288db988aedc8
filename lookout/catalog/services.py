"""Writes to the catalog. Every write re-indexes the products it touched for search and bumps
the page-cache generation (after commit), so no storefront page shows the old product."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Category, Product
from lookout.catalog.search import index_products
from lookout.core.errors import LookoutError
from lookout.core.money import usd


class CatalogError(LookoutError):
    pass


def upsert_category(*, slug: str, name: str, tagline: str = "", position: int = 0) -> Category:
    category, _ = Category.objects.update_or_create(
        slug=slug, defaults={"name": name, "tagline": tagline, "position": position}
    )
    bump_generation()
    return category


@transaction.atomic
def upsert_product(*, sku: str, list_price: Decimal, price: Decimal, **fields: Any) -> Product:
    """Create or update the product with this SKU; prices are checked and kept exact (C1.2)."""
    list_price, price = usd(list_price), usd(price)
    if price <= 0 or price > list_price:
        raise CatalogError(f"{sku}: the price must be above zero and at most the list price.")
    product, _ = Product.objects.update_or_create(
        sku=sku, defaults={"list_price": list_price, "price": price, **fields}
    )
    index_products([product])
    bump_generation()
    return product


@transaction.atomic
def set_works_with(*, accessory: Product, devices: list[Product]) -> None:
    """Link an accessory to the cameras it fits ("works with")."""
    accessory.works_with.set(devices)
    bump_generation()


def reindex_catalog() -> int:
    """Rebuild the whole search index, e.g. after a bulk import or a restore."""
    products = list(Product.objects.select_related("category"))
    index_products(products)
    bump_generation()
    return len(products)
