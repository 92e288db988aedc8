"""Writes to the catalog. Every write re-indexes the products it touched for search and bumps
the page-cache generation (after commit), so no storefront page shows the old product."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.text import slugify

from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Category, Product, Structure, VariantOption, variant_name
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
    """Create or update the product with this SKU; prices are checked and kept exact (C1.2).
    A parent's variants take its shared fields again (`sync_variants`)."""
    list_price, price = usd(list_price), usd(price)
    if price <= 0 or price > list_price:
        raise CatalogError(f"{sku}: the price must be above zero and at most the list price.")
    if Product.objects.filter(sku=sku, structure=Structure.CHILD).exists():
        raise CatalogError(f"{sku} is a variant: change it with its product's variants.")
    product, _ = Product.objects.update_or_create(
        sku=sku, defaults={"list_price": list_price, "price": price, **fields}
    )
    if product.is_parent:
        sync_variants(product)
    index_products([product])
    bump_generation()
    return product


# --- variants (docs/decisions/0046-product-variants.md) ---------------------------------------

# What a variant shares with its parent, copied onto it so that every reader of a row bought
# (cart, vouchers by category, orders, search filters) sees the product it belongs to.
SHARED_FIELDS = (
    "brand", "category", "summary", "description", "released_on", "resolution",
    "field_of_view", "night_vision", "power", "storage", "connectivity", "weatherproof",
    "placement", "smart_home",
)  # fmt: skip
MAX_OPTION_NAME, MAX_OPTION_VALUE, MAX_OPTIONS = 30, 40, 3


def clean_options(options: Any) -> list[list[str]]:
    """A variant's option values as `[[name, value], ...]`, checked: one to three options, each
    named once, names without ':' or ';' and values without ';' (the catalog manager types them
    as "Colour: Black; Pack: 2-pack"), no blank or overlong text."""
    if not isinstance(options, list | tuple) or not options:
        raise CatalogError("A variant needs at least one option, such as Colour: Black.")
    if len(options) > MAX_OPTIONS:
        raise CatalogError(f"A variant has at most {MAX_OPTIONS} options.")
    cleaned: list[list[str]] = []
    for pair in options:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CatalogError("Each option is a name and a value, such as Colour: Black.")
        name, value = (" ".join(str(part).split()) for part in pair)
        if not name or not value:
            raise CatalogError("Each option needs a name and a value, such as Colour: Black.")
        if len(name) > MAX_OPTION_NAME or any(c in name for c in ":;"):
            raise CatalogError(
                f"An option's name has at most {MAX_OPTION_NAME} characters and no ':' or ';'."
            )
        if len(value) > MAX_OPTION_VALUE or ";" in value:
            raise CatalogError(
                f"An option's value has at most {MAX_OPTION_VALUE} characters and no ';'."
            )
        if name.casefold() in {n.casefold() for n, _ in cleaned}:
            raise CatalogError(f"The option {name} is named twice.")
        cleaned.append([name, value])
    return cleaned


def parse_options(text: str) -> list[list[str]]:
    """The manager's text "Colour: Black; Pack: 2-pack" as a list of [name, value] pairs."""
    pairs = []
    for part in str(text).split(";"):
        if not part.strip():
            continue
        name, colon, value = part.partition(":")
        if not colon:
            raise CatalogError(f"Write each option as Name: value (not {part.strip()!r}).")
        pairs.append([name, value])
    return clean_options(pairs)


def options_text(options: list) -> str:
    return "; ".join(f"{name}: {value}" for name, value in options or [])


def check_variant_options(
    options: list[list[str]], siblings: list[list[list[str]]], *, sku: str
) -> None:
    """A parent's variants name the same options in the same order, and no two of them have
    the same values: "Colour: Black" twice could not be told apart on the page."""
    for other in siblings:
        if [n for n, _ in other] != [n for n, _ in options]:
            names = ", ".join(n for n, _ in other)
            raise CatalogError(f"{sku}: the product's other variants have the options {names}.")
        if [v.casefold() for _, v in other] == [v.casefold() for _, v in options]:
            raise CatalogError(f"{sku}: another variant already has these options.")


def variant_fields(parent: Product, *, sku: str, options: list[list[str]]) -> dict[str, Any]:
    """The fields a variant takes from its parent: shared fields, its name and address."""
    name = variant_name(parent.name, options)
    if len(name) > Product._meta.get_field("name").max_length:  # type: ignore[operator]
        raise CatalogError(f"{sku}: the product name and options are too long together.")
    return {
        **{field: getattr(parent, field) for field in SHARED_FIELDS},
        "structure": Structure.CHILD,
        "parent": parent,
        "options": options,
        "name": name,
        "slug": slugify(f"{parent.slug[:80]}-{sku}")[:120],
    }


@transaction.atomic
def upsert_variant(
    *,
    parent: Product,
    sku: str,
    options: Any,
    list_price: Decimal,
    price: Decimal,
    stock: int,
    hue: int | None = None,
) -> Product:
    """Create or update a variant of `parent` (which becomes a parent if it was standalone);
    its prices are checked like any product's, and the parent's summary follows."""
    list_price, price = usd(list_price), usd(price)
    if price <= 0 or price > list_price:
        raise CatalogError(f"{sku}: the price must be above zero and at most the list price.")
    if parent.structure == Structure.CHILD:
        raise CatalogError(f"{parent.sku} is a variant: a variant has no variants of its own.")
    if sku == parent.sku:
        raise CatalogError(f"{sku}: a variant needs a SKU of its own.")
    other = Product.objects.filter(sku=sku).exclude(parent=parent).first()
    if other is not None:
        raise CatalogError(f"{sku}: that SKU belongs to another product.")
    cleaned = clean_options(options)
    siblings = Product.objects.filter(parent=parent).exclude(sku=sku)
    check_variant_options(cleaned, [s.options for s in siblings], sku=sku)
    if parent.structure != Structure.PARENT:
        parent.structure = Structure.PARENT
        parent.save(update_fields=["structure"])
    variant, _ = Product.objects.update_or_create(
        sku=sku,
        defaults={
            **variant_fields(parent, sku=sku, options=cleaned),
            "list_price": list_price,
            "price": price,
            "stock": stock,
            "hue": parent.hue if hue is None else hue,
        },
    )
    refresh_parent(parent)
    return variant


def sync_variants(parent: Product) -> None:
    """Copy the parent's shared fields and name onto its variants (after the parent changed)."""
    for variant in Product.objects.filter(parent=parent):
        fields = variant_fields(parent, sku=variant.sku, options=variant.options)
        fields.pop("parent")
        Product.objects.filter(pk=variant.pk).update(**fields)


def refresh_parent(parent: Product) -> None:
    """The parent's summary of its variants: the cheapest one's price and list price (so
    listings say "from" that price), and their stock added up (in stock while one is). Its
    search text names its variants' SKUs and options, and their option rows are rewritten
    (`index_options`). Bumps the page-cache generation."""
    variants = list(Product.objects.filter(parent=parent).order_by("price", "list_price", "pk"))
    if variants:
        cheapest = variants[0]
        parent.price, parent.list_price = cheapest.price, cheapest.list_price
        parent.stock = sum(v.stock for v in variants)
    else:
        parent.stock = 0  # a parent without variants has nothing to sell
    Product.objects.filter(pk=parent.pk).update(
        price=parent.price, list_price=parent.list_price, stock=parent.stock
    )
    index_options(parent)
    index_products([parent])
    bump_generation()


def option_rows(variant_id: int, options: list) -> list[VariantOption]:
    return [
        VariantOption(variant_id=variant_id, position=position, name=name, value=value)
        for position, (name, value) in enumerate(options or [])
    ]


def index_options(parent: Product) -> None:
    """Rewrite the option rows of the parent's variants (`VariantOption`: what the category
    page's option filter reads) from their `options`: two statements, whatever changed."""
    VariantOption.objects.filter(variant__parent=parent).delete()
    rows = Product.objects.filter(parent=parent).values_list("pk", "options")
    VariantOption.objects.bulk_create(
        [row for pk, options in rows for row in option_rows(pk, options)]
    )


def refresh_parents(parent_ids: list[int]) -> None:
    for parent in Product.objects.filter(pk__in=parent_ids, structure=Structure.PARENT):
        refresh_parent(parent)


def variant_stock(parent: Product) -> int:
    return int(Product.objects.filter(parent=parent).aggregate(n=Sum("stock"))["n"] or 0)


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
