"""Product photos: an upload is checked by what it is, kept as its pixels only (no EXIF, GPS,
XMP, ICC profile or comment in any stored file), stored as content-addressed renditions through
the storage API, served with immutable cache headers, and shown on the storefront."""

from __future__ import annotations

import hashlib
import io
import re
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image, ImageCms, ImageDraw

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.catalog import cache as page_cache
from lookout.catalog import demo, photos
from lookout.catalog.admin import ProductForm
from lookout.catalog.models import Product, ProductPhoto
from lookout.catalog.tests import factories
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112
PLACE = "Kestrel Lane 7, Springfield"  # what a leaked comment would carry (invented)


@pytest.fixture(autouse=True)
def storage(settings):
    """A fresh, empty in-memory default storage for each test (reached only through the API)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def _stored() -> list[str]:
    if not default_storage.exists("products"):
        return []
    return sorted(f"products/{n}" for n in default_storage.listdir("products")[1])


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _picture(size=(900, 600), colour=(40, 110, 170)) -> Image.Image:
    image = Image.new("RGB", size, (235, 238, 242))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), 30,
                           fill=colour)  # fmt: skip
    draw.rectangle((0, 0, 40, 20), fill=(200, 30, 30))  # top left marks which way is up
    return image


def _gps_jpeg(size=(900, 600), orientation: int = 6) -> bytes:
    """A phone-style JPEG: EXIF with GPS position and an orientation, an ICC profile, XMP and a
    comment, all of which name where it was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Phonemaker"  # camera make
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        b'exif:GPSLatitude="51,30.43N"/></rdf:RDF></x:xmpmeta>'
    )
    out = io.BytesIO()
    _picture(size).save(
        out, "JPEG", exif=exif, icc_profile=icc, xmp=xmp, comment=PLACE.encode(), quality=90
    )
    data = out.getvalue()
    # the upload does carry what must not be kept
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    assert b"Exif" in data and b"xmpmeta" in data and PLACE.encode() in data
    return data


def _rgba(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def _upload(data: bytes, name: str = "holiday.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` by `height` pixels (a decompression bomb's shape)."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:20], data[20:24] = width.to_bytes(4, "big"), height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def test_a_gps_tagged_upload_is_stored_as_pixels_only_in_every_rendition():
    # given a product and a phone photo carrying GPS, camera make, XMP, ICC and a comment
    product = factories.product()
    data = _gps_jpeg()
    # when the catalog manager adds it
    photo = photos.add_photo(product=product, upload=_upload(data), alt_text="Front view")
    # then every stored file is a WebP or JPEG rendition with no metadata at all
    names = _stored()
    assert names and sorted(photo.file_names()) == names
    assert len(names) == 2 * len(photo.renditions)
    for name in names:
        raw = _read(name)
        for marker in (
            b"Exif",
            b"EXIF",
            b"GPS",
            b"xmpmeta",
            b"ICC_PROFILE",
            b"Phonemaker",
            b"Springfield",
        ):
            assert marker not in raw, (name, marker)
        stored = Image.open(io.BytesIO(raw))
        assert stored.format == ("WEBP" if name.endswith(".webp") else "JPEG")
        assert not stored.getexif() and not stored.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(stored.info)
        # content-addressed: the name is the hash of the bytes
        assert name == f"products/{hashlib.sha256(raw).hexdigest()}.{name.rsplit('.', 1)[1]}"
    # and the EXIF orientation was applied first: 900x600 turned upright is 600x900
    assert (photo.width, photo.height) == (600, 900)
    assert [r["width"] for r in photo.renditions] == [320, 600]
    upright = Image.open(io.BytesIO(_read(photo.renditions[-1]["jpeg"]))).convert("RGB")
    assert upright.size == (600, 900)
    assert _rgba(upright, (580, 10))[0] > 150  # the red corner mark is now top right


def test_responsive_widths_never_upscale_and_png_transparency_survives_in_webp():
    product = factories.product()
    image = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((500, 100, 1500, 900), fill=(30, 140, 90, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    photo = photos.add_photo(
        product=product, upload=_upload(out.getvalue(), "lens.png", "image/png"), alt_text="Lens"
    )
    assert [(r["width"], r["height"]) for r in photo.renditions] == [
        (320, 160), (640, 320), (1280, 640),
    ]  # fmt: skip
    webp = Image.open(io.BytesIO(_read(photo.renditions[0]["webp"])))
    assert webp.mode == "RGBA" and _rgba(webp, (2, 2))[3] == 0
    jpeg = Image.open(io.BytesIO(_read(photo.renditions[0]["jpeg"])))
    assert jpeg.mode == "RGB" and min(_rgba(jpeg, (2, 2))) >= 250  # white, not black


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", b"<?php system($_GET['c']); ?>" * 40, "image/jpeg"),
        ("photo.png", b"%PDF-1.7\n" + b"0" * 600, "image/png"),
        ("photo.webp", b"<svg xmlns='http://www.w3.org/2000/svg'/>" * 10, "image/webp"),
    ],
)
def test_a_file_named_like_an_image_that_is_not_one_is_refused_and_nothing_is_stored(
    name, data, content_type
):
    product = factories.product()
    with pytest.raises(photos.PhotoRejected, match="not a JPEG, PNG or WebP image"):
        photos.add_photo(product=product, upload=_upload(data, name, content_type), alt_text="x")
    assert _stored() == [] and not ProductPhoto.objects.exists()


def test_a_real_image_of_another_format_is_refused_whatever_its_extension():
    out = io.BytesIO()
    _picture((300, 300)).save(out, "GIF")
    with pytest.raises(photos.PhotoRejected, match="not a JPEG, PNG or WebP"):
        photos.prepare(_upload(out.getvalue(), "photo.jpg"))


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (7000, 7000, "7000 by 7000 pixels; a photo may have at most 40 megapixels"),
        (50000, 50000, "more pixels than a photo may have"),  # past Pillow's own bomb limit
        (9000, 1000, "9000 by 1000 pixels"),  # few pixels, but a side too long
    ],
)
def test_a_decompression_bomb_is_refused_before_decoding_and_nothing_is_stored(
    width, height, message
):
    product = factories.product()
    bomb = _png_declaring(width, height)
    assert len(bomb) < 100  # a few bytes that declare gigapixels
    with pytest.raises(photos.PhotoRejected, match=re.escape(message)):
        photos.add_photo(product=product, upload=_upload(bomb, "bomb.png"), alt_text="x")
    assert _stored() == [] and not ProductPhoto.objects.exists()


def test_too_large_damaged_too_small_and_empty_files_are_refused_with_a_reason():
    truncated = _gps_jpeg()[:3000]
    small = io.BytesIO()
    _picture((60, 60)).save(small, "PNG")
    big = _upload(b"\xff" * (photos.MAX_UPLOAD_BYTES + 1))
    for upload, message in [
        (big, "a photo may be at most 10 MB"),
        (_upload(truncated), "damaged or cut short"),
        (_upload(small.getvalue(), "tiny.png"), "at least 100 pixels a side"),
        (_upload(b""), "empty"),
    ]:
        with pytest.raises(photos.PhotoRejected, match=message):
            photos.prepare(upload)
    assert _stored() == []


def test_the_media_url_serves_a_rendition_as_immutable(client):
    photo = photos.add_photo(
        product=factories.product(), upload=_upload(_gps_jpeg()), alt_text="Front"
    )
    name = photo.renditions[0]["webp"]
    url = default_storage.url(name)
    assert url == f"/media/{name}"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content) == _read(name)
    assert "Set-Cookie" not in response.headers
    jpeg = client.get(default_storage.url(photo.renditions[0]["jpeg"]))
    assert jpeg["Content-Type"] == "image/jpeg"
    # a name no rendition has, and anything but a hash name, is not found
    assert client.get("/media/products/" + "0" * 64 + ".webp").status_code == 404
    assert client.get("/media/products/../settings.py").status_code == 404
    assert client.get("/media/other/" + name.split("/")[1]).status_code == 404


def test_product_page_and_cards_show_the_photos_with_srcset_and_the_drawing_without(client):
    # given a product with two photos, an accessory-less neighbour without any
    product = factories.product(name="Kestrel Pan S4")
    plain = factories.product(name="Kestrel Pan S5")
    photos.add_photo(product=product, upload=_upload(_gps_jpeg()), alt_text='Front, "white"')
    photos.add_photo(
        product=product, upload=_upload(_gps_jpeg(orientation=1)), alt_text="From the side"
    )
    # when a shopper opens the product page
    body = client.get(product.get_absolute_url()).content.decode()
    # then both photos show as <picture>: WebP sources, JPEG fallback, size and alt text
    assert body.count("<picture>") == 2
    first = re.search(r"<picture>.*?</picture>", body, re.S)
    assert first is not None
    html = first.group(0)
    assert re.search(r'<source type="image/webp" srcset="/media/products/[0-9a-f]{64}\.webp 320w, '
                     r'/media/products/[0-9a-f]{64}\.webp 600w"', html)  # fmt: skip
    assert re.search(r'<img src="/media/products/[0-9a-f]{64}\.jpg" srcset="[^"]+\.jpg 320w', html)
    assert 'width="600" height="900"' in html
    assert 'alt="Front, &quot;white&quot;"' in html and 'alt="From the side"' in body
    assert f"/images/{product.sku}.svg" not in body.split('class="specs"')[0]
    # and the neighbour's card (same category) keeps its drawing
    assert f"/images/{plain.sku}.svg" in body
    # and the category page's card shows the first photo
    listing = client.get(product.category.get_absolute_url()).content.decode()
    assert 'alt="Front, &quot;white&quot;"' in listing and "From the side" not in listing
    assert f"/images/{plain.sku}.svg" in listing


def test_listing_pages_fetch_photos_in_one_query_whatever_the_number_of_cards(client):
    category = factories.category()

    def queries(url: str) -> int:
        client.get(url)  # warm per-process caches (navigation, search word list)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = factories.product(category=category, name="Nightjar View A1")
    photos.add_photo(product=first, upload=_upload(_gps_jpeg()), alt_text="A1")
    factories.product(category=category, name="Nightjar View A2")  # cards without photos too
    pages = [category.get_absolute_url(), "/search/?q=nightjar", "/", first.get_absolute_url()]
    before = {url: queries(url) for url in pages}
    for n in range(3):
        more = factories.product(category=category, name=f"Nightjar View B{n}")
        photos.add_photo(product=more, upload=_upload(_gps_jpeg(orientation=1)), alt_text="B")
        factories.product(category=category, name=f"Nightjar View C{n}")
    assert {url: queries(url) for url in pages} == before


def test_adding_and_removing_a_photo_refreshes_cached_pages(
    client, settings, django_capture_on_commit_callbacks
):
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    product = factories.product()
    url = product.get_absolute_url()
    assert Client().get(url)["X-Page-Cache"] == "miss"
    assert Client().get(url)["X-Page-Cache"] == "hit"
    # when a photo is added, the cached page is stale at once
    with django_capture_on_commit_callbacks(execute=True):
        photo = photos.add_photo(product=product, upload=_upload(_gps_jpeg()), alt_text="New")
    response = Client().get(url)
    assert response["X-Page-Cache"] == "miss" and 'alt="New"' in response.content.decode()
    # and when it is removed, the page shows the drawing again and its files are gone
    with django_capture_on_commit_callbacks(execute=True):
        photos.remove_photo(photo)
    response = Client().get(url)
    assert response["X-Page-Cache"] == "miss" and 'alt="New"' not in response.content.decode()
    assert f"/images/{product.sku}.svg" in response.content.decode()
    assert _stored() == []
    page_cache.local.clear()


def test_a_file_two_photos_share_is_deleted_only_with_the_last_of_them(
    django_capture_on_commit_callbacks,
):
    data = _gps_jpeg()
    one = photos.add_photo(product=factories.product(), upload=_upload(data), alt_text="a")
    two = photos.add_photo(product=factories.product(), upload=_upload(data), alt_text="b")
    assert one.file_names() == two.file_names() and len(_stored()) == len(one.file_names())
    with django_capture_on_commit_callbacks(execute=True):
        one.delete()
    assert _stored() == sorted(two.file_names())
    with django_capture_on_commit_callbacks(execute=True):
        two.product.delete()  # a product's deletion takes its photos, then their files
    assert _stored() == []


def _catalog_manager_client(settings) -> Client:
    settings.AUTHENTICATION_BACKENDS = ["lookout.staff.backends.RoleBackend"]
    user = create_account(
        email="catalog@example.com", password="staff-long-pass-1", role=Role.CATALOG_MANAGER
    )
    return client_past_second_factor(user, backend=settings.AUTHENTICATION_BACKENDS[0])


def _change_form(product: Product, upload, alt_text: str) -> dict:
    data = {
        f: ("" if getattr(product, f) is None else getattr(product, f))
        for f in ProductForm.Meta.fields
        if f not in ("works_with", "category")
    }
    data.update(
        {
            "category": product.category_id,
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "0",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
            "photos-0-upload": upload,
            "photos-0-alt_text": alt_text,
            "photos-0-position": "0",
            "_continue": "Save and continue editing",
        }
    )
    return data


def test_the_catalog_manager_uploads_in_the_admin_and_a_bad_file_is_a_message(settings):
    client = _catalog_manager_client(settings)
    product = factories.product()
    url = f"/admin/catalog/product/{product.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="photos-0-upload"' in page and 'accept="image/jpeg,image/png,image/webp"' in page
    # a text file named .jpg: the form comes back with the reason, nothing stored
    bad = _upload(b"just some text, not a photo" * 20, "front.jpg")
    response = client.post(url, _change_form(product, bad, "Front"))
    assert response.status_code == 200
    assert "not a JPEG, PNG or WebP image" in response.content.decode()
    assert _stored() == [] and not product.photos.exists()
    # a real photo: stored as renditions, shown in the inline's preview
    response = client.post(url, _change_form(product, _upload(_gps_jpeg()), "Front"))
    assert response.status_code == 302, response.content.decode()[:3000]
    photo = product.photos.get()
    assert photo.alt_text == "Front" and sorted(photo.file_names()) == _stored()
    assert default_storage.url(photo.renditions[0]["webp"]) in client.get(url).content.decode()


def test_only_the_catalog_roles_may_manage_photos(settings):
    settings.AUTHENTICATION_BACKENDS = ["lookout.staff.backends.RoleBackend"]
    manager = create_account(
        email="catalog@example.com", password="staff-long-pass-1", role=Role.CATALOG_MANAGER
    )
    finance = create_account(
        email="finance@example.com", password="staff-long-pass-1", role=Role.FINANCE
    )
    perms = {f"catalog.{a}_productphoto" for a in ("add", "change", "delete", "view")}
    assert manager.has_perms(perms)
    assert not any(finance.has_perm(p) for p in perms)


def test_the_demo_gives_a_few_products_photos_once():
    demo.load(progress=lambda message: None)
    with_photos = Product.objects.filter(photos__isnull=False).distinct()
    showcase = demo.showcase()
    assert showcase is not None and showcase.is_parent
    assert with_photos.count() == len(demo.PHOTO_PRODUCTS) + 1  # and the showcase
    # the showcase has a photo of the product and one of each of its variants
    variants = list(showcase.variants.order_by("pk"))
    assert len(variants) == 3
    assert showcase.photos.filter(variant=None).count() == 1
    assert {p.variant_id for p in showcase.photos.exclude(variant=None)} == {v.pk for v in variants}
    count, files = ProductPhoto.objects.count(), _stored()
    assert count == sum(demo.PHOTO_PRODUCTS.values()) + 1 + len(variants)
    demo.load(progress=lambda message: None)
    assert ProductPhoto.objects.count() == count and _stored() == files


def test_replacing_a_photo_in_the_admin_form_deletes_the_old_files_after_commit(
    django_capture_on_commit_callbacks,
):
    from lookout.catalog.admin import ProductPhotoForm

    product = factories.product()
    photo = photos.add_photo(product=product, upload=_upload(_gps_jpeg()), alt_text="Old")
    old = set(photo.file_names())
    data = {"alt_text": "New", "position": "0"}
    files = {"upload": _upload(_gps_jpeg(orientation=1), "new.jpg")}
    form = ProductPhotoForm(data=data, files=files, instance=photo)
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        form.save()
    photo.refresh_from_db()
    assert photo.alt_text == "New" and (photo.width, photo.height) == (900, 600)
    assert _stored() == sorted(photo.file_names()) and not old & set(_stored())
    # and a new row without a file is refused with a message, not saved
    empty = ProductPhotoForm(data={"alt_text": "No file", "position": "1"}, files={})
    assert not empty.is_valid() and empty.errors["upload"] == ["Choose a photo to upload."]
