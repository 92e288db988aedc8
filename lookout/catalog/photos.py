"""Product photos: check an upload, keep its pixels only, store responsive renditions.

An upload is never stored as sent. `prepare` reads it with Pillow, which sniffs the real type
from the bytes (the file name and the browser's content type are ignored), and refuses with a
`PhotoRejected` message, before anything is written, a file that is too large, not a JPEG, PNG
or WebP image, damaged, too small, or that declares more pixels than `MAX_PIXELS` (a
decompression bomb: a few kilobytes that would unpack to gigabytes). Pillow's own
`DecompressionBombWarning`/`Error` become the same refusal.

What is kept is the pixel data alone: the EXIF orientation is applied first (so a phone photo
stands the right way up), then the pixels are copied into a new image that carries no EXIF, GPS,
XMP, ICC profile or comment, and each rendition is encoded from that copy. Renditions are
`WIDTHS` wide (never wider than the upload), each as WebP and as a JPEG fallback.

Files go through Django's storage API only (`storages["default"]`: a folder under
LOOKOUT_VAR_DIR by default, an S3-compatible bucket with django-storages; docs/operations.md),
named by the SHA-256 of their own bytes, so a name always means the same bytes and can be served
with `CACHE_CONTROL` (immutable). A file is deleted once no photo names it any more, after the
deleting transaction commits.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import models, transaction
from django.db.models.functions import Cast
from PIL import Image, ImageOps, UnidentifiedImageError

from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Product, ProductPhoto

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 8000
MIN_SIDE = 100
MAX_PIXELS = 40_000_000
WIDTHS = (320, 640, 1280)
ACCEPTED = ("JPEG", "PNG", "WEBP")
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"
PREFIX = "products/"
NAME_PATTERN = r"[0-9a-f]{64}\.(?:webp|jpg)"
CACHE_CONTROL = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
WEBP_QUALITY = 80
JPEG_QUALITY = 82


class PhotoRejected(ValidationError):
    """An upload that cannot become a product photo; the message says why, for the uploader."""


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked upload's renditions, in memory: nothing is stored yet."""

    digest: str
    renditions: tuple[Rendition, ...]

    @property
    def width(self) -> int:
        return self.renditions[-1].width

    @property
    def height(self) -> int:
        return self.renditions[-1].height


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def read_upload(upload: Any) -> bytes:
    """The upload's bytes, refused past MAX_UPLOAD_BYTES without reading more than that."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise PhotoRejected(
            f"The file is {size / (1024 * 1024):.1f} MB; a photo may be at most "
            f"{_megabytes(MAX_UPLOAD_BYTES)}.",
            code="too_large",
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(
            f"The file is larger than {_megabytes(MAX_UPLOAD_BYTES)}, the most a photo may be.",
            code="too_large",
        )
    if not data:
        raise PhotoRejected("The file is empty.", code="empty")
    return bytes(data)


def _bomb(width: int, height: int) -> PhotoRejected:
    return PhotoRejected(
        f"The image declares {width} by {height} pixels; a photo may have at most "
        f"{MAX_PIXELS // 1_000_000} megapixels and {MAX_SIDE} pixels a side. "
        "Please resize it before uploading.",
        code="too_many_pixels",
    )


def clean_pixels(data: bytes) -> Image.Image:
    """The image in `data` as a new image of its pixels only, turned upright; or PhotoRejected.

    The declared size is checked before any pixel is decoded."""
    not_an_image = PhotoRejected(
        "This file is not a JPEG, PNG or WebP image (whatever its name says). "
        "Please upload a photo in one of those formats.",
        code="not_an_image",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=ACCEPTED)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise PhotoRejected(
                "The image declares more pixels than a photo may have "
                f"(at most {MAX_PIXELS // 1_000_000} megapixels). Please resize it.",
                code="too_many_pixels",
            ) from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise not_an_image from error
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise _bomb(width, height)
            if min(width, height) < MIN_SIDE:
                raise PhotoRejected(
                    f"The image is {width} by {height} pixels; a photo needs at least "
                    f"{MIN_SIDE} pixels a side.",
                    code="too_small",
                )
            try:
                image.load()
                upright = ImageOps.exif_transpose(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
                raise _bomb(width, height) from error
            except (OSError, SyntaxError, ValueError, EOFError) as error:
                raise PhotoRejected(
                    "The image is damaged or cut short and cannot be read. "
                    "Please export it again and upload the new file.",
                    code="damaged",
                ) from error
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if has_alpha else "RGB"
    converted = upright.convert(mode)
    # A new image from the raw pixels: nothing of the file (info, EXIF, ICC, XMP) comes along.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, kind: str) -> bytes:
    out = BytesIO()
    if kind == "webp":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        if image.mode == "RGBA":  # JPEG has no transparency: flatten onto white
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def render(image: Image.Image) -> tuple[Rendition, ...]:
    """WebP and JPEG renditions at each of WIDTHS below the image's width, and one at its own
    width (at most the largest of WIDTHS), smallest first."""
    largest = min(image.width, WIDTHS[-1])
    widths = sorted({w for w in WIDTHS if w < largest} | {largest})
    made = []
    for width in widths:
        height = max(1, round(image.height * width / image.width))
        sized = (
            image
            if width == image.width
            else image.resize((width, height), Image.Resampling.LANCZOS)
        )
        made.append(Rendition(width, height, _encode(sized, "webp"), _encode(sized, "jpeg")))
    return tuple(made)


def prepare(upload: Any) -> PreparedPhoto:
    """Check an upload and make its renditions in memory; raises PhotoRejected, stores nothing."""
    image = clean_pixels(read_upload(upload))
    digest = hashlib.sha256(
        f"{image.mode}:{image.width}x{image.height}:".encode() + image.tobytes()
    ).hexdigest()
    return PreparedPhoto(digest=digest, renditions=render(image))


def _store(data: bytes, ext: str, storage: Storage) -> str:
    name = f"{PREFIX}{hashlib.sha256(data).hexdigest()}.{ext}"
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(data))
        if saved != name:  # stored meanwhile by another request: the same bytes, keep one
            storage.delete(saved)
    return name


def apply(photo: ProductPhoto, prepared: PreparedPhoto) -> None:
    """Store the renditions' files and point `photo` at them (the caller saves the row). Files
    the photo named before are deleted after commit, unless another photo still names them."""
    storage = default_storage
    before = photo.file_names() if photo.pk else []
    photo.renditions = [
        {
            "width": r.width,
            "height": r.height,
            "webp": _store(r.webp, "webp", storage),
            "jpeg": _store(r.jpeg, "jpg", storage),
        }
        for r in prepared.renditions
    ]
    photo.width, photo.height, photo.digest = prepared.width, prepared.height, prepared.digest
    dropped = set(before) - set(photo.file_names())
    if dropped:
        transaction.on_commit(lambda: delete_unused_files(dropped))


def add_photo(
    *,
    product: Product,
    upload: Any,
    alt_text: str,
    position: int | None = None,
    variant: Product | None = None,
) -> ProductPhoto:
    """Check, render and store a photo of `product` (of its `variant`, if given); last in order
    unless `position` is given."""
    alt_text = alt_text.strip()
    if not alt_text:
        raise PhotoRejected("Please describe the photo (alt text) for people who cannot see it.")
    _check_variant(product, variant)
    return save_photo(
        product=product,
        prepared=prepare(upload),
        alt_text=alt_text,
        position=position,
        variant=variant,
    )


def _check_variant(product: Product, variant: Product | None) -> None:
    """A photo belongs to the product whose page shows it: a variant's photo to its parent."""
    if product.is_variant:
        raise PhotoRejected("Add a variant's photo to its product, naming the variant.")
    if variant is not None and variant.parent_id != product.pk:
        raise PhotoRejected(f"{variant.sku} is not a variant of {product.sku}.")


def save_photo(
    *,
    product: Product,
    prepared: PreparedPhoto,
    alt_text: str,
    position: int | None = None,
    variant: Product | None = None,
) -> ProductPhoto:
    """Store a prepared photo's files and its row; cached pages change once it commits."""
    _check_variant(product, variant)
    with transaction.atomic():
        if position is None:
            last = product.photos.aggregate(models.Max("position"))["position__max"]
            position = 0 if last is None else last + 1
        photo = ProductPhoto(product=product, variant=variant, position=position, alt_text=alt_text)
        apply(photo, prepared)
        photo.save()
        bump_generation()
    return photo


def remove_photo(photo: ProductPhoto) -> None:
    """Delete a photo; its files go and cached pages change once the deletion commits
    (`forget_files`, run for every deletion, a product's too)."""
    photo.delete()


def delete_unused_files(names: set[str] | list[str]) -> None:
    """Delete each stored file that no photo names any more."""
    storage = default_storage
    as_text = ProductPhoto.objects.annotate(text=Cast("renditions", models.TextField()))
    for name in names:
        if not as_text.filter(text__contains=name).exists():
            storage.delete(name)


def forget_files(sender: type, instance: ProductPhoto, **kwargs: Any) -> None:
    """post_delete receiver (connected in CatalogConfig.ready): a deleted photo's files, the
    page cache too, once the deletion commits; a rolled-back deletion keeps both."""
    names = instance.file_names()
    transaction.on_commit(lambda: delete_unused_files(names))
    bump_generation()


def picture(photo: ProductPhoto) -> dict[str, Any]:
    """What a `<picture>` needs: srcsets of each format, the fallback, width and height."""
    url = default_storage.url
    renditions = photo.renditions
    fallback = next((r for r in renditions if r["width"] >= 640), renditions[-1])
    return {
        "webp_srcset": ", ".join(f"{url(r['webp'])} {r['width']}w" for r in renditions),
        "jpeg_srcset": ", ".join(f"{url(r['jpeg'])} {r['width']}w" for r in renditions),
        "src": url(fallback["jpeg"]),
        "width": photo.width,
        "height": photo.height,
        "alt": photo.alt_text,
    }


def gallery(photos: Iterable[ProductPhoto], *, offer: Product) -> list[ProductPhoto]:
    """The photos a product page shows, in order: the chosen variant's own (`offer`), then the
    product's photos of no variant; another variant's photos are not shown."""
    photos = list(photos)
    own = [p for p in photos if offer.is_variant and p.variant_id == offer.pk]
    return own + [p for p in photos if p.variant_id is None]


def first_photos(products: Iterable[Product]) -> dict[int, ProductPhoto]:
    """The photo that stands for each product bought or compared, by its id, in one query: a
    variant's own first photo, else its product's first photo of no variant; a product's first
    photo of no variant, else its first of a variant. Products without a photo are left out."""
    products = list(products)
    owners = {p.parent_id if p.is_variant and p.parent_id else p.pk for p in products}
    if not owners:
        return {}
    by_owner: dict[int, list[ProductPhoto]] = {}
    for photo in ProductPhoto.objects.filter(product_id__in=owners).order_by("position", "pk"):
        by_owner.setdefault(photo.product_id, []).append(photo)
    chosen: dict[int, ProductPhoto] = {}
    for product in products:
        if product.is_variant and product.parent_id:
            shown = gallery(by_owner.get(product.parent_id, []), offer=product)
        else:
            photos = by_owner.get(product.pk, [])
            shown = [p for p in photos if p.variant_id is None] or photos
        if shown:
            chosen[product.pk] = shown[0]
    return chosen


def thumbnail(photo: ProductPhoto, *, width: int) -> dict[str, Any]:
    """A small decorative picture beside a product's name (cart line, comparison): its
    smallest renditions, `width` pixels wide on the page, the height in proportion."""
    return {
        **picture(photo),
        "width": width,
        "height": max(1, round(width * photo.height / photo.width)),
        "alt": "",
    }


def described(photo: ProductPhoto) -> dict[str, Any]:
    """A photo for the API: the fallback rendition's address (JPEG, 640 pixels wide or the
    largest below), its WebP twin, their width and height, and the alt text."""
    renditions = photo.renditions
    shown = next((r for r in renditions if r["width"] >= 640), renditions[-1])
    return {
        "url": default_storage.url(shown["jpeg"]),
        "webp_url": default_storage.url(shown["webp"]),
        "width": shown["width"],
        "height": shown["height"],
        "alt": photo.alt_text,
    }
