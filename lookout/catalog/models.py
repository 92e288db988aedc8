"""The catalog: categories and products with the specifications shoppers compare.

Catalog data describes things for sale, never people, so nothing here is personal (see
`personal_data.py`). Prices are exact USD decimals (C1.2); the saving is derived, never stored,
so it cannot drift from the two prices it is computed from.

Variants (docs/decisions/0046-product-variants.md): a product is *standalone* (one thing to
buy, what every product was before variants), a *parent* (the shared page: name, description,
specs, photos, reviews; never bought itself) or a *child*, one variant of a parent with its own
SKU, prices, stock and option values (`options`: `[["Colour", "Black"], ["Pack", "2-pack"]]`).
Carts, orders, stock and vouchers refer to the row bought: a standalone product or a child.
A parent's price, list price and stock summarise its variants (the cheapest variant's prices,
the sum of their stock), kept by `services.refresh_parent` and, for stock, by the orders'
stock moves, so listings, filters and sorts read a parent like any product.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from lookout.core.money import CENT, MoneyField

# The most of one product a cart line (and so an order) may hold; pages offer no more than this
# (or the stock). Small by default so that one visitor cannot hold a shelf with an unpaid order
# (issue 20); `LOOKOUT_MAX_PER_LINE` sets it.
MAX_PER_LINE = int(getattr(settings, "LOOKOUT_MAX_PER_LINE", 10))


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    tagline = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", args=[self.slug])


class Placement(models.TextChoices):
    INDOOR = "indoor", "Indoor"
    OUTDOOR = "outdoor", "Outdoor"
    BOTH = "both", "Indoor & outdoor"


class Power(models.TextChoices):
    WIRED = "wired", "Wired (mains)"
    PLUG_IN = "plug-in", "Plug-in adapter"
    BATTERY = "battery", "Battery"
    SOLAR = "solar", "Solar + battery"
    POE = "poe", "Power over Ethernet"
    NONE = "none", "No power needed"


class Storage(models.TextChoices):
    LOCAL = "local", "Local (microSD / hub)"
    CLOUD = "cloud", "Cloud (optional plan)"
    BOTH = "both", "Local and cloud"
    NONE = "none", "None"


class Structure(models.TextChoices):
    STANDALONE = "standalone", "Single product (no variants)"
    PARENT = "parent", "Product with variants (not bought itself)"
    CHILD = "child", "Variant of a product"


OPTION_SEPARATOR = " — "  # between a variant's product name and its option values


class Product(models.Model):
    structure = models.CharField(
        max_length=10, choices=Structure.choices, default=Structure.STANDALONE
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="variants",
        help_text="The product this is a variant of (variants only).",
    )
    options = models.JSONField(
        default=list,
        blank=True,
        help_text='A variant\'s option values in order: [["Colour", "Black"], ["Pack", "2-pack"]].',
    )
    sku = models.CharField(max_length=32, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=120)
    brand = models.CharField(max_length=60, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    summary = models.CharField(max_length=240)
    description = models.TextField(blank=True)
    list_price = MoneyField()
    price = MoneyField(help_text="The price the shopper pays, in USD.")
    stock = models.PositiveIntegerField(default=0)
    released_on = models.DateField()
    # Specifications people compare on. Empty/None where the spec does not apply.
    resolution = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Vertical pixels: 1080, 1440, 2160."
    )
    field_of_view = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Degrees")
    night_vision = models.CharField(max_length=60, blank=True)
    power = models.CharField(max_length=10, choices=Power.choices, default=Power.NONE)
    storage = models.CharField(max_length=10, choices=Storage.choices, default=Storage.NONE)
    connectivity = models.CharField(max_length=60, blank=True)
    weatherproof = models.CharField(max_length=20, blank=True, help_text="IP rating")
    placement = models.CharField(max_length=10, choices=Placement.choices)
    smart_home = models.CharField(max_length=120, blank=True, help_text="Comma separated")
    hue = models.PositiveSmallIntegerField(default=210, help_text="Colour of the drawing")
    search_text = models.TextField(
        blank=True, editable=False, help_text="Names, brand and specs; kept by services.index"
    )
    works_with = models.ManyToManyField(
        "self", symmetrical=False, related_name="accessories", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__lte=models.F("list_price")),
                name="catalog_price_not_above_list",
            ),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="catalog_price_positive"),
            # A variant has a parent, and only a variant has one.
            models.CheckConstraint(
                condition=models.Q(structure=Structure.CHILD, parent__isnull=False)
                | (~models.Q(structure=Structure.CHILD) & models.Q(parent__isnull=True)),
                name="catalog_variant_has_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(structure__in=Structure.values),
                name="catalog_structure_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """A variant's address is its parent's page with the variant chosen (`?variant=SKU`)."""
        if self.structure == Structure.CHILD and self.parent is not None:
            return f"{reverse('catalog:product', args=[self.parent.slug])}?variant={self.sku}"
        return reverse("catalog:product", args=[self.slug])

    @property
    def is_parent(self) -> bool:
        return self.structure == Structure.PARENT

    @property
    def is_variant(self) -> bool:
        return self.structure == Structure.CHILD

    @property
    def purchasable(self) -> bool:
        """Whether this row can go in a cart: a parent is bought through one of its variants."""
        return self.structure != Structure.PARENT

    @property
    def option_label(self) -> str:
        """The option values in words, "Colour: Black, Pack: 2-pack" ("" for no variant)."""
        return option_label(self.options)

    @property
    def option_values(self) -> str:
        """The values alone, "Black, 2-pack", for a chooser whose heading names the options."""
        return ", ".join(str(value) for _name, value in self.options or [])

    @property
    def price_varies(self) -> bool:
        """A parent whose variants cost different amounts: its card says "from" its price.
        Listings prefetch `variants` (selectors.variants_for_cards), so no query per card."""
        return self.is_parent and len({v.price for v in self.variants.all()}) > 1

    @property
    def variant_summary(self) -> str:
        """A parent's card line, "4 choices of colour and pack" ("" for any other product)."""
        if not self.is_parent:
            return ""
        variants = list(self.variants.all())
        if len(variants) < 2:
            return ""
        names = [str(name).lower() for name, _value in variants[0].options or []]
        spoken = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return f"{len(variants)} choices of {spoken}"

    @property
    def saving(self) -> Decimal:
        return (self.list_price - self.price).quantize(CENT)

    @property
    def saving_percent(self) -> int:
        """Whole percent, rounded half up, so "Save 25%" is what a person would compute."""
        if not self.list_price:
            return 0
        percent = self.saving * 100 / self.list_price
        return int(percent.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def on_sale(self) -> bool:
        return self.price < self.list_price

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def orderable(self) -> int:
        """How many one cart line may take: what the product page offers. Capped, so a sale
        that leaves plenty on the shelf changes no cached page (see `shown_stock_changed`)."""
        return max(0, min(self.stock, MAX_PER_LINE))

    @property
    def first_photo(self) -> ProductPhoto | None:
        """The photo that stands for the product, or None (its drawing then): its first photo
        of the whole product, else its first of a variant. Listings prefetch `photos`, so this
        costs no query per card."""
        photos = list(self.photos.all())
        shared = [photo for photo in photos if photo.variant_id is None]
        shown = shared or photos
        return shown[0] if shown else None

    @property
    def resolution_label(self) -> str:
        return {2160: "4K (2160p)", 1440: "2K (1440p)", 1080: "Full HD (1080p)"}.get(
            self.resolution or 0, f"{self.resolution}p" if self.resolution else ""
        )

    @property
    def smart_home_list(self) -> list[str]:
        return [s.strip() for s in self.smart_home.split(",") if s.strip()]

    def specs(self) -> list[tuple[str, str]]:
        """The comparison table rows, in a fixed order; '—' where a spec does not apply."""
        return [
            ("Resolution", self.resolution_label or "—"),
            ("Field of view", f"{self.field_of_view}°" if self.field_of_view else "—"),
            ("Night vision", self.night_vision or "—"),
            ("Power", self.get_power_display()),
            ("Storage", self.get_storage_display()),
            ("Connectivity", self.connectivity or "—"),
            ("Weatherproof", self.weatherproof or "—"),
            ("Placement", self.get_placement_display()),
            ("Works with", ", ".join(self.smart_home_list) or "—"),
        ]


def option_label(options: list) -> str:
    return ", ".join(f"{name}: {value}" for name, value in options or [])


def variant_name(parent_name: str, options: list) -> str:
    """A variant's name, as carts, orders, returns and mail show it:
    "Kestrel Doorbell Pro S4 — Colour: Black, Pack: 2-pack"."""
    label = option_label(options)
    return f"{parent_name}{OPTION_SEPARATOR}{label}" if label else parent_name


def shown_stock_changed(before: int, after: int) -> bool:
    """Whether a storefront page reads differently once stock moves from `before` to `after`:
    pages show only in stock / out of stock and the orderable quantity, never the count."""
    return min(max(before, 0), MAX_PER_LINE) != min(max(after, 0), MAX_PER_LINE)


class ProductPhoto(models.Model):
    """A photo of a product, as the catalog manager uploaded it, stored only as re-encoded
    renditions (`lookout.catalog.photos`): never the uploaded file, so no metadata of it.

    `renditions` lists, smallest first, `{"width", "height", "webp", "jpeg"}` where the last two
    are storage names (content-addressed, so served as immutable). `digest` is the SHA-256 of
    the cleaned pixels: two photos of the same pixels share their files, and a file is deleted
    only when no photo names it any more. The photo belongs to a product (a standalone one or
    a parent, never a variant); `variant`, when set, is one of that product's variants whose
    page shows it first (`photos.gallery`), before the product's photos of no variant.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    variant = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="variant_photos",
        help_text="Leave empty for a photo of the product (every variant). Choose a variant to "
        "show this photo first on that variant's page.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Photos show in this order; the first one stands for the product."
    )
    alt_text = models.CharField(
        max_length=200,
        help_text="What the photo shows, for people who cannot see it (screen readers).",
    )
    width = models.PositiveIntegerField(editable=False, help_text="Of the largest rendition")
    height = models.PositiveIntegerField(editable=False, help_text="Of the largest rendition")
    digest = models.CharField(max_length=64, editable=False, db_index=True)
    renditions = models.JSONField(default=list, editable=False)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position"], name="catalog_photo_order")]

    def __str__(self) -> str:
        return self.alt_text or f"Photo {self.pk}"

    def file_names(self) -> list[str]:
        return [r[kind] for r in self.renditions for kind in ("webp", "jpeg")]


class VariantOption(models.Model):
    """One option value of one variant ("Colour", "Black"), a row each, so that a category page
    can filter by an option value with a plain indexed lookup on any database (the variant's
    `options` JSON would need JSON containment, which SQLite lacks). A copy of the variants'
    `options`, rewritten by `services.index_options` whenever the catalog services or the admin
    write a product's variants (`refresh_parent`); deleted with its variant."""

    variant = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="option_rows")
    position = models.PositiveSmallIntegerField(help_text="The option's place in the variant's")
    name = models.CharField(max_length=30)
    value = models.CharField(max_length=40)

    class Meta:
        ordering = ["variant", "position"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "name"], name="catalog_option_once"),
        ]
        indexes = [models.Index(fields=["name", "value"], name="catalog_option_value")]

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
