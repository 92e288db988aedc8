"""The category list for the site navigation, available on every page that extends base.html,
and product photos as responsive `<picture>` elements."""

from typing import Any

from django import template

from lookout.catalog.models import Category, Product, ProductPhoto
from lookout.catalog.photos import picture, thumbnail

register = template.Library()


@register.simple_tag
def nav_categories() -> list[Category]:
    return list(Category.objects.only("slug", "name"))


@register.inclusion_tag("catalog/_picture.html")
def product_picture(photo: ProductPhoto, sizes: str, lazy: bool = True) -> dict[str, Any]:
    """A product photo as `<picture>`: WebP renditions, the JPEG ones as fallback, its width
    and height (so the page does not jump while it loads) and its alt text."""
    return {"pic": picture(photo), "sizes": sizes, "lazy": lazy}


@register.filter
def photo_of(photos: dict[int, ProductPhoto], product: Product) -> ProductPhoto | None:
    """`{% with photo=photos|photo_of:product %}`: the photo `photos.first_photos` chose."""
    return photos.get(product.pk) if photos else None


@register.inclusion_tag("catalog/_thumbnail.html")
def product_thumbnail(photo: ProductPhoto, width: int) -> dict[str, Any]:
    """A small photo beside a product's name (cart line, comparison): decorative (alt=""),
    since the name next to it says what it is."""
    return {"pic": thumbnail(photo, width=width)}
