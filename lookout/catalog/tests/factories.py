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
