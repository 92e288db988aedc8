"""Small builders for catalog tests; products go through the service so search is indexed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from lookout.catalog.models import Category, Placement, Power, Product, Storage
from lookout.catalog.services import upsert_category, upsert_product

_seq = count(1)


def category(slug: str = "outdoor-cameras", name: str = "Outdoor cameras") -> Category:
    return upsert_category(slug=slug, name=name, tagline="Test category")


def product(**overrides) -> Product:
    n = next(_seq)
    fields: dict[str, Any] = {
        "sku": f"T-{n:04d}",
        "slug": f"test-product-{n}",
        "name": f"Test Camera {n}",
        "brand": "Testbrand",
        "category": overrides.pop("category", None) or category(),
        "summary": "A camera for tests",
        "list_price": Decimal("100.00"),
        "price": Decimal("80.00"),
        "stock": 10,
        "released_on": date(2024, 1, n % 28 + 1),
        "resolution": 1080,
        "field_of_view": 120,
        "night_vision": "Infrared, 10 m",
        "power": Power.BATTERY,
        "storage": Storage.LOCAL,
        "connectivity": "Wi-Fi 2.4 GHz",
        "weatherproof": "IP65",
        "placement": Placement.OUTDOOR,
        "smart_home": "Alexa",
    }
    fields.update(overrides)
    return upsert_product(**fields)


def product_with_variants(
    variants: list[dict[str, Any]] | None = None, **overrides: Any
) -> tuple[Product, list[Product]]:
    """A parent and its variants (through `services.upsert_variant`, so the parent's price,
    list price and stock summarise them). Each variant: sku, options, price, list_price, stock."""
    from lookout.catalog.services import upsert_variant

    parent = product(**overrides)
    n = parent.sku
    variants = variants or [
        {"sku": f"{n}-BLK", "options": [["Colour", "Black"]], "price": Decimal("80.00")},
        {"sku": f"{n}-WHT", "options": [["Colour", "White"]], "price": Decimal("95.00")},
    ]
    made = [
        upsert_variant(
            parent=parent,
            sku=v["sku"],
            options=v["options"],
            price=v["price"],
            list_price=v.get("list_price", Decimal("100.00")),
            stock=v.get("stock", 5),
        )
        for v in variants
    ]
    parent.refresh_from_db()
    return parent, made
