"""Catalog API: categories, filtered listings, products and search. Read only, no auth, no
cookies. Amounts are exact decimals serialised as strings ("49.99"), never floats (C1.2).

Variants (docs/decisions/0046-product-variants.md): listings and search name each product once;
a product with variants (`has_variants`) gives its cheapest variant's prices and their stock
added up, and its detail lists the variants, which are what a cart takes. A variant's own SKU
answers the variant, with its options and its product's SKU (`variant_of`).

Photos (docs/decisions/0043-product-photos-and-pillow.md): each product names the photo that
stands for it (`photo`: a rendition's address, its width and height, the alt text), a variant
its own first photo, else its product's; listings read them with one query per page."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from lookout.catalog import photos, selectors
from lookout.catalog.models import Category, Product, ProductPhoto
from lookout.catalog.search import MAX_PAGE, MAX_QUERY_LENGTH, search_products
from lookout.core.errors import NotFound

router = Router(tags=["catalog"])

MAX_OPTION_KEY = 200  # "Colour: Black": an option's name and value, with room to spare
MAX_OPTIONS_ASKED = 20  # option values in one request (a category offers a handful)


class CategoryOut(Schema):
    slug: str
    name: str
    tagline: str


class OptionOut(Schema):
    name: str = Field(description='The option, e.g. "Colour"')
    value: str = Field(description='Its value for this variant, e.g. "Black"')


def _options(product: Product) -> list[OptionOut]:
    return [OptionOut(name=str(n), value=str(v)) for n, v in product.options or []]


class PhotoOut(Schema):
    url: str = Field(description="A JPEG rendition, 640 pixels wide (or the largest below)")
    webp_url: str = Field(description="The same rendition as WebP")
    width: int = Field(description="The rendition's width in pixels")
    height: int = Field(description="The rendition's height in pixels")
    alt: str = Field(description="What the photo shows, for people who cannot see it")


def _photo(photo: ProductPhoto | None) -> PhotoOut | None:
    return PhotoOut(**photos.described(photo)) if photo is not None else None


class ProductOut(Schema):
    sku: str
    name: str
    brand: str
    category: str
    url: str
    currency: Literal["USD"] = "USD"
    list_price: Decimal
    price: Decimal
    saving: Decimal
    saving_percent: int
    stock: int
    in_stock: bool
    has_variants: bool = Field(
        False,
        description="Bought as one of its variants (see the product's detail): prices are its "
        "cheapest variant's, stock theirs added up",
    )
    photo: PhotoOut | None = Field(
        None,
        description="The photo that stands for it (a variant's own first, else its product's); "
        "none when the product has no photo",
    )

    @staticmethod
    def from_product(product: Product, photo: ProductPhoto | None = None) -> ProductOut:
        return ProductOut(
            photo=_photo(photo),
            has_variants=product.is_parent,
            sku=product.sku,
            name=product.name,
            brand=product.brand,
            category=product.category.slug,
            url=product.get_absolute_url(),
            list_price=product.list_price,
            price=product.price,
            saving=product.saving,
            saving_percent=product.saving_percent,
            stock=product.stock,
            in_stock=product.in_stock,
        )


class SpecOut(Schema):
    name: str
    value: str


class VariantOut(Schema):
    sku: str
    name: str
    options: list[OptionOut]
    url: str
    list_price: Decimal
    price: Decimal
    saving: Decimal
    saving_percent: int
    stock: int
    in_stock: bool

    @staticmethod
    def from_variant(variant: Product) -> VariantOut:
        return VariantOut(
            sku=variant.sku,
            name=variant.name,
            options=_options(variant),
            url=variant.get_absolute_url(),
            list_price=variant.list_price,
            price=variant.price,
            saving=variant.saving,
            saving_percent=variant.saving_percent,
            stock=variant.stock,
            in_stock=variant.in_stock,
        )


class ProductDetailOut(ProductOut):
    variant_of: str | None = Field(None, description="For a variant: its product's SKU")
    options: list[OptionOut] = Field(
        default_factory=list, description="For a variant: its option values, in order"
    )
    variants: list[VariantOut] = Field(
        default_factory=list,
        description="For a product with variants: each one, the SKU to put in a cart",
    )
    summary: str
    description: str
    specs: list[SpecOut]
    works_with: list[str] = Field(description="SKUs of the cameras this accessory fits")
    accessories: list[str] = Field(description="SKUs of accessories that fit this product")


class PageOut(Schema):
    count: int
    page: int
    pages: int
    products: list[ProductOut]


class FiltersIn(Schema):
    min_price: Decimal | None = Field(None, ge=0, le=selectors.MAX_PRICE, decimal_places=2)
    max_price: Decimal | None = Field(None, ge=0, le=selectors.MAX_PRICE, decimal_places=2)
    resolution: Literal[1080, 1440, 2160] | None = None
    power: Literal["wired", "plug-in", "battery", "solar", "poe", "none"] | None = None
    placement: Literal["indoor", "outdoor"] | None = None
    in_stock: bool = False
    on_sale: bool = False
    sort: Literal["featured", "price", "-price", "discount", "newest"] = "featured"
    page: int = Field(1, ge=1, le=10_000)
    option: list[Annotated[str, Field(min_length=1, max_length=MAX_OPTION_KEY)]] = Field(
        default_factory=list,
        max_length=MAX_OPTIONS_ASKED,
        description='Option values, each as "Name: value" (e.g. `option=Colour: Black`), as the '
        "category's variants name them (a product's detail lists its variants' options). Keeps "
        "the products with one variant that has one of the values asked for each option named "
        "and also matches the price, stock and sale filters; two values of one option are "
        "either. A value no product of the category comes in is a 422.",
    )


class SearchOut(Schema):
    query: str
    corrected: str
    suggestions: list[str]
    total: int  # at most 1000; total_capped says more match
    total_capped: bool
    page: int
    products: list[ProductOut]


@router.get("/categories", response=list[CategoryOut], summary="List the categories")
def list_categories(request: HttpRequest):
    return list(Category.objects.all())


@router.get(
    "/categories/{slug}/products",
    response={200: PageOut, 404: dict, 422: dict},
    summary="Products of a category, filtered and sorted",
)
def category_products(request: HttpRequest, slug: str, filters: Query[FiltersIn]):
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound("There is no such category.")
    data = filters.dict()
    if (
        data["min_price"] is not None
        and data["max_price"] is not None
        and data["min_price"] > data["max_price"]
    ):
        return Status(422, {"detail": "The minimum price is above the maximum price."})
    if data["option"]:
        unknown = _unknown_option(category, data["option"])
        if unknown:
            return Status(422, {"detail": unknown, "errors": {"query.option": [unknown]}})
    products = selectors.category_products(category=category, filters=data)
    paginator = Paginator(products, selectors.PAGE_SIZE)
    page = paginator.get_page(data["page"])
    return Status(
        200,
        PageOut(
            count=paginator.count,
            page=page.number,
            pages=paginator.num_pages,
            products=[ProductOut.from_product(p, p.first_photo) for p in page.object_list],
        ),
    )


def _unknown_option(category: Category, asked: list[str]) -> str | None:
    """The sentence refusing an option value the category's variants do not have, naming the
    ones they have (not the value asked: an API answer never echoes what was sent); None when
    all are known."""
    options = selectors.category_options(category=category)
    known = [selectors.option_key(name, value) for name, values in options for value in values]
    if set(asked) <= set(known):
        return None
    if not known:
        return "No product here has options to filter by."
    return f"No product here comes in that option value; they come in {', '.join(known)}."


@router.get("/products/{sku}", response={200: ProductDetailOut, 404: dict}, summary="A product")
def product_detail(request: HttpRequest, sku: str):
    product = Product.objects.select_related("category", "parent").filter(sku=sku).first()
    if product is None:
        raise NotFound("There is no product with that SKU.")
    photo = photos.first_photos([product]).get(product.pk)
    base = ProductOut.from_product(product, photo).dict()
    variants = list(product.variants.order_by("pk")) if product.is_parent else []
    for variant in variants:
        variant.parent = product  # its url is its product's page: no query each
    shared = product.parent or product  # a variant's links are its product's
    return Status(
        200,
        ProductDetailOut(
            **base,
            variant_of=product.parent.sku if product.parent else None,
            options=_options(product),
            variants=[VariantOut.from_variant(v) for v in variants],
            summary=product.summary,
            description=product.description,
            specs=[SpecOut(name=n, value=v) for n, v in product.specs()],
            works_with=list(shared.works_with.values_list("sku", flat=True)),
            accessories=list(shared.accessories.values_list("sku", flat=True)),
        ),
    )


@router.get("/search", response={200: SearchOut, 422: dict}, summary="Full-text search")
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY_LENGTH),
    page: int = Query(1, ge=1, le=MAX_PAGE, description="1-based page of 24 results"),
):
    result = search_products(query=q, page=page)
    prefetch_related_objects(result.products, "photos")  # one query for the page's photos
    return Status(
        200,
        SearchOut(
            query=result.query,
            corrected=result.corrected,
            suggestions=result.suggestions,
            total=result.total,
            total_capped=result.total_capped,
            page=result.page,
            products=[ProductOut.from_product(p, p.first_photo) for p in result.products],
        ),
    )
