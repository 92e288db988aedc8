"""Catalog data describes products for sale, never people: nothing here is personal (C2.1)."""

from lookout.catalog.models import Category, Product
from lookout.core.inventory import ALL_COLUMNS, NotPersonal, RawTable

_CATALOG = "catalog data: describes a product for sale, not a person"

FIELDS = {
    Category: {
        name: NotPersonal(_CATALOG) for name in ("id", "slug", "name", "tagline", "position")
    },
    Product: {
        name: NotPersonal(_CATALOG)
        for name in (
            "id",
            "sku",
            "slug",
            "name",
            "brand",
            "category",
            "summary",
            "description",
            "list_price",
            "price",
            "stock",
            "released_on",
            "resolution",
            "field_of_view",
            "night_vision",
            "power",
            "storage",
            "connectivity",
            "weatherproof",
            "placement",
            "smart_home",
            "hue",
            "search_text",
            "works_with",
        )
    },
}

_SEARCH = NotPersonal(
    "full-text index of product names, brands and specs (SQLite FTS5 and its shadow tables); "
    "rebuilt from catalog data by lookout.catalog.search.index_products"
)
RAW_TABLES = [
    RawTable(table=f"catalog_product_fts{suffix}", owner="catalog", columns={ALL_COLUMNS: _SEARCH})
    for suffix in ("", "_config", "_content", "_data", "_docsize", "_idx")
]
