"""Reads for browsing: filtered, sorted category listings and comparisons.

Filters arrive as query strings typed or edited by anyone, so they are parsed by a form: a
malformed value becomes a message for the shopper, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)

from lookout.catalog.models import (
    Category,
    Placement,
    Power,
    Product,
    Structure,
    VariantOption,
)

MAX_COMPARE = 4
PAGE_SIZE = 12
MAX_PRICE = Decimal("100000")

SORTS = {
    "featured": ("Featured", ["category__position", "-stock", "name"]),
    "price": ("Price: low to high", ["price", "name"]),
    "-price": ("Price: high to low", ["-price", "name"]),
    "discount": ("Biggest discount", ["-discount", "price"]),
    "newest": ("Newest", ["-released_on", "name"]),
}
RESOLUTIONS = [("", "Any"), ("1080", "1080p+"), ("1440", "2K+"), ("2160", "4K")]


class BrowseFilters(forms.Form):
    """The filters of a category page; every field optional, every value checked."""

    min_price = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_PRICE, decimal_places=2, label="Min $"
    )
    max_price = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_PRICE, decimal_places=2, label="Max $"
    )
    resolution = forms.TypedChoiceField(
        required=False, choices=RESOLUTIONS, coerce=int, empty_value=None, label="Resolution"
    )
    power = forms.ChoiceField(
        required=False, choices=[("", "Any"), *Power.choices], label="Power source"
    )
    placement = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), (Placement.INDOOR, "Indoor"), (Placement.OUTDOOR, "Outdoor")],
        label="Indoor / outdoor",
    )
    in_stock = forms.BooleanField(required=False, label="In stock only")
    on_sale = forms.BooleanField(required=False, label="On sale only")
    sort = forms.ChoiceField(
        required=False, choices=[(k, v[0]) for k, v in SORTS.items()], label="Sort by"
    )
    # "Colour: Black": the option values the category's variants have (`category_options`).
    option = forms.MultipleChoiceField(
        required=False,
        label="Options",
        error_messages={"invalid_choice": "No product here comes in %(value)s."},
    )

    def __init__(self, *args, options: list[tuple[str, list[str]]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options or []
        field = self.fields["option"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (option_key(name, value), value) for name, values in self.options for value in values
        ]

    @property
    def option_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The option filter's checkboxes, by option: (name, [(key, value, ticked)])."""
        ticked = set(self.data.getlist("option")) if hasattr(self.data, "getlist") else set()
        groups = []
        for name, values in self.options:
            keys = [(option_key(name, value), value) for value in values]
            groups.append((name, [(key, value, key in ticked) for key, value in keys]))
        return groups

    def clean(self):
        data = super().clean() or {}
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("The minimum price is above the maximum price.")
        return data


def option_key(name: str, value: str) -> str:
    """How a filter names an option value in the query string: "Colour: Black"."""
    return f"{name}: {value}"


def _chosen_options(keys: list[str] | None) -> dict[str, list[str]]:
    """{"Colour": ["Black", "White"]} from ["Colour: Black", "Colour: White"] (names hold no
    ':', services.clean_options)."""
    chosen: dict[str, list[str]] = {}
    for key in keys or []:
        name, _colon, value = key.partition(":")
        chosen.setdefault(name.strip(), []).append(value.strip())
    return chosen


def category_options(*, category: Category) -> list[tuple[str, list[str]]]:
    """The option values the category's variants have, for its filter panel, one query:
    [("Colour", ["Black", "White"]), ("Pack", ["Single", "2-pack"])], options in the order
    the variants name them, values in the order they were added."""
    rows = (
        VariantOption.objects.filter(variant__category=category)
        .values_list("name", "value")
        .annotate(place=Min("position"), first=Min("variant_id"))
        .order_by("place", "name", "first")
    )
    grouped: dict[str, list[str]] = {}
    for name, value, _place, _first in rows:
        grouped.setdefault(name, []).append(value)
    return list(grouped.items())


def _offer_filter(filters: dict) -> Q:
    """What the row bought must satisfy: price range, in stock, on sale."""
    wanted = Q()
    if filters.get("min_price") is not None:
        wanted &= Q(price__gte=filters["min_price"])
    if filters.get("max_price") is not None:
        wanted &= Q(price__lte=filters["max_price"])
    if filters.get("in_stock"):
        wanted &= Q(stock__gt=0)
    if filters.get("on_sale"):
        wanted &= Q(price__lt=F("list_price"))
    return wanted


def filter_products(*, products: QuerySet[Product], filters: dict) -> QuerySet[Product]:
    """Apply cleaned `BrowseFilters` data; unknown keys are ignored. A product with variants
    matches the price, stock and sale filters when one of its variants does (one variant
    between the two prices, in stock and on sale, not three different ones). Option values
    (`option`: "Colour: Black") keep only products with variants, those with one variant
    that has one of the values chosen for each option named and matches the rest too (a
    black one in stock, not a black one and another in stock); two values of one option are
    either, as shoppers tick them."""
    offer, chosen = _offer_filter(filters), _chosen_options(filters.get("option"))
    if offer or chosen:
        variant = Product.objects.filter(parent=OuterRef("pk")).filter(offer)
        for name, values in chosen.items():
            rows = VariantOption.objects.filter(variant=OuterRef("pk"), name=name)
            variant = variant.filter(Exists(rows.filter(value__in=values)))
        with_variant = Q(Exists(variant), structure=Structure.PARENT)
        products = products.filter(
            with_variant if chosen else (~Q(structure=Structure.PARENT) & offer) | with_variant
        )
    if filters.get("resolution"):
        products = products.filter(resolution__gte=filters["resolution"])
    if filters.get("power"):
        products = products.filter(power=filters["power"])
    if filters.get("placement"):
        products = products.filter(placement__in=[filters["placement"], Placement.BOTH])
    order = SORTS.get(filters.get("sort") or "featured", SORTS["featured"])[1]
    discount = ExpressionWrapper(
        (F("list_price") - F("price")) / F("list_price"),
        output_field=DecimalField(max_digits=12, decimal_places=6),
    )
    return products.annotate(discount=discount).order_by(*order)


def variants_for_cards() -> Prefetch:
    """A listing's variants, one query for all its cards ("from $X", "3 colours")."""
    return Prefetch("variants", queryset=Product.objects.order_by("pk"))


def listed() -> QuerySet[Product]:
    """The products a listing shows: one card per product, never a variant of its own."""
    return Product.objects.exclude(structure=Structure.CHILD)


def category_products(*, category: Category, filters: dict) -> QuerySet[Product]:
    return filter_products(
        products=listed()
        .filter(category=category)
        .select_related("category")
        .prefetch_related("photos", variants_for_cards()),
        filters=filters,
    )


@dataclass
class ProductPage:
    """A product page: the product (shared name, specs, photos, reviews), its variants, and the
    offer shown: the chosen variant, or the product itself when it has none."""

    product: Product
    variants: list[Product]
    offer: Product
    option_names: list[str]


class NoSuchVariant(Exception):
    pass


def product_page(*, product: Product, variant: str | None) -> ProductPage:
    """The variant asked for by SKU (`?variant=`), or the first one in stock, or the first;
    `NoSuchVariant` for a SKU that is not one of this product's variants."""
    variants = list(product.variants.order_by("pk")) if product.is_parent else []
    for v in variants:
        v.parent = product  # its address is its parent's page: no query per link
    if variant is not None:
        chosen = next((v for v in variants if v.sku == variant), None)
        if chosen is None:
            raise NoSuchVariant(variant)
    else:
        chosen = next((v for v in variants if v.in_stock), variants[0] if variants else None)
    names = [name for name, _value in (variants[0].options if variants else [])]
    return ProductPage(product, variants, chosen or product, names)


def products_by_sku(*, skus: list[str]) -> list[Product]:
    """Products for the comparison table, in the order asked for, at most MAX_COMPARE."""
    wanted = list(dict.fromkeys(s for s in skus if s))[:MAX_COMPARE]
    found = {p.sku: p for p in Product.objects.filter(sku__in=wanted).select_related("category")}
    return [found[s] for s in wanted if s in found]


@dataclass
class Comparison:
    products: list[Product]
    rows: list[tuple[str, list[str]]]


def compare(*, products: list[Product]) -> Comparison:
    """Side-by-side rows: price, saving, stock and each spec."""
    from lookout.core.money import format_usd

    rows: list[tuple[str, list[str]]] = [
        ("Price", [format_usd(p.price) for p in products]),
        ("List price", [format_usd(p.list_price) for p in products]),
        ("You save", [f"{format_usd(p.saving)} ({p.saving_percent}%)" for p in products]),
        ("Brand", [p.brand for p in products]),
        ("Availability", ["In stock" if p.in_stock else "Out of stock" for p in products]),
    ]
    spec_tables = [p.specs() for p in products]
    if spec_tables:
        for index, (label, _) in enumerate(spec_tables[0]):
            rows.append((label, [table[index][1] for table in spec_tables]))
    return Comparison(products=products, rows=rows)


def home_sections() -> dict:
    """Categories, and the biggest in-stock saving of each category (variety over depth)."""
    categories = list(Category.objects.all())
    best: dict[int, Product] = {}
    ranked = filter_products(
        products=listed().filter(stock__gt=0).select_related("category"),
        filters={"sort": "discount"},
    )
    for product in ranked:
        best.setdefault(product.category_id, product)
    deals = [best[c.pk] for c in categories if c.pk in best]
    prefetch_related_objects(deals, "photos", variants_for_cards())  # the cards', one query each
    return {"categories": categories, "deals": deals}
