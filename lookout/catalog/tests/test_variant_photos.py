"""Photos of a variant and photos beyond the product page (issue 24: "photos for a product or a
variant"; docs/decisions/0043-product-photos-and-pillow.md): a variant's page shows its own
photos first, then its product's; the catalog manager attaches a photo to a variant in the
admin; the API, the comparison table and the cart's lines show the photo that stands for each
product."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from lookout.catalog import photos
from lookout.catalog.admin import ProductForm
from lookout.catalog.models import Product, ProductPhoto
from lookout.catalog.tests import factories
from lookout.catalog.tests.test_admin_variants import manager  # noqa: F401 (fixture)
from lookout.catalog.tests.test_photos import _gps_jpeg, _upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return _gps_jpeg(orientation=1)


def _doorbell(jpeg: bytes):
    """A doorbell in black and white: a photo of the whole product and one of the white one."""
    parent, (black, white) = factories.product_with_variants(name="Kestrel Doorbell")
    photos.add_photo(product=parent, upload=_upload(jpeg), alt_text="Kestrel, any colour")
    other = _gps_jpeg(size=(800, 600), orientation=1)  # other pixels, so other files
    photos.add_photo(
        product=parent, upload=_upload(other), alt_text="Kestrel in white", variant=white
    )
    return parent, black, white


def _alts(html: str) -> list[str]:
    return re.findall(r'<img src="/media/products/[^"]+"[^>]* alt="([^"]*)"', html)


def test_a_variant_page_shows_its_own_photo_first_then_the_products(client, jpeg):
    parent, black, white = _doorbell(jpeg)
    url = parent.get_absolute_url()
    white_page = client.get(url, {"variant": white.sku}).content.decode()
    media = white_page.split('class="product-info"')[0]
    assert _alts(media) == ["Kestrel in white", "Kestrel, any colour"]
    # the black one has no photo of its own: the product's, and never the white one's
    black_page = client.get(url, {"variant": black.sku}).content.decode()
    assert _alts(black_page.split('class="product-info"')[0]) == ["Kestrel, any colour"]
    assert "Kestrel in white" not in black_page
    # the category card stands for the whole product: its photo of no variant
    card = client.get(parent.category.get_absolute_url()).content.decode()
    assert "Kestrel, any colour" in card and "Kestrel in white" not in card


def test_a_photo_of_another_products_variant_is_refused(jpeg):
    parent, _black, _white = _doorbell(jpeg)
    _other, (stranger, _) = factories.product_with_variants(name="Heron Doorbell")
    with pytest.raises(photos.PhotoRejected, match="is not a variant of"):
        photos.add_photo(product=parent, upload=_upload(jpeg), alt_text="x", variant=stranger)
    with pytest.raises(photos.PhotoRejected, match="to its product"):
        photos.add_photo(product=stranger, upload=_upload(jpeg), alt_text="x")


def _change_form(product: Product, variants: list[Product], photo_rows: list[dict]) -> dict:
    data: dict = {
        f: ("" if getattr(product, f) is None else getattr(product, f))
        for f in ProductForm.Meta.fields
        if f not in ("works_with", "category")
    }
    data.update(
        {
            "category": product.category_id,
            "photos-TOTAL_FORMS": str(len(photo_rows)),
            "photos-INITIAL_FORMS": "0",
            "variants-TOTAL_FORMS": str(len(variants)),
            "variants-INITIAL_FORMS": str(len(variants)),
            "_continue": "Save and continue editing",
        }
    )
    for n, v in enumerate(variants):
        data.update(
            {
                f"variants-{n}-id": v.pk,
                f"variants-{n}-parent": product.pk,
                f"variants-{n}-sku": v.sku,
                f"variants-{n}-options_text": f"{v.options[0][0]}: {v.options[0][1]}",
                f"variants-{n}-list_price": str(v.list_price),
                f"variants-{n}-price": str(v.price),
                f"variants-{n}-stock": str(v.stock),
                f"variants-{n}-hue": str(v.hue),
            }
        )
    for n, row in enumerate(photo_rows):
        data.update({f"photos-{n}-{k}": value for k, value in row.items()})
    return data


def test_the_catalog_manager_attaches_a_photo_to_a_variant(manager, jpeg):  # noqa: F811
    parent, (black, white) = factories.product_with_variants(name="Kestrel Doorbell")
    _other, (stranger, _) = factories.product_with_variants(name="Heron Doorbell")
    url = f"/admin/catalog/product/{parent.pk}/change/"
    # the photo row offers the product's variants by their options, and "the whole product"
    page = manager.get(url).content.decode()
    select = re.search(r'<select name="photos-0-variant".*?</select>', page, re.S)
    assert select is not None
    assert re.findall(r">([^<]+)</option>", select.group(0)) == [
        "The whole product",
        "Colour: Black",
        "Colour: White",
    ]
    # another product's variant is refused with a message, nothing stored
    row = {"upload": _upload(jpeg), "alt_text": "Kestrel in black", "position": "0"}
    refused = manager.post(
        url, _change_form(parent, [black, white], [{**row, "variant": stranger.pk}])
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not ProductPhoto.objects.exists()
    # the black variant's photo is saved as the black one's and shown first on its page
    row["upload"] = _upload(jpeg)
    response = manager.post(
        url, _change_form(parent, [black, white], [{**row, "variant": black.pk}])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    photo = ProductPhoto.objects.get()
    assert (photo.product_id, photo.variant_id) == (parent.pk, black.pk)
    body = Client().get(parent.get_absolute_url(), {"variant": black.sku}).content.decode()
    assert _alts(body.split('class="product-info"')[0]) == ["Kestrel in black"]
    white_page = Client().get(parent.get_absolute_url(), {"variant": white.sku}).content.decode()
    assert "Kestrel in black" not in white_page


def test_the_api_names_each_products_photo(client, jpeg):
    parent, black, white = _doorbell(jpeg)
    plain = factories.product(name="Wren Camera", category=parent.category)
    detail = client.get(f"/api/v1/products/{parent.sku}").json()
    photo = detail["photo"]
    assert photo["alt"] == "Kestrel, any colour"
    assert re.fullmatch(r"/media/products/[0-9a-f]{64}\.jpg", photo["url"])
    assert re.fullmatch(r"/media/products/[0-9a-f]{64}\.webp", photo["webp_url"])
    assert (photo["width"], photo["height"]) == (640, 427)
    assert client.get(photo["url"]).status_code == 200
    # a variant: its own photo, else its product's
    assert client.get(f"/api/v1/products/{white.sku}").json()["photo"]["alt"] == "Kestrel in white"
    assert client.get(f"/api/v1/products/{black.sku}").json()["photo"]["alt"] == (
        "Kestrel, any colour"
    )
    # a product without photos: none
    assert client.get(f"/api/v1/products/{plain.sku}").json()["photo"] is None
    # listings and search name them too
    listing = client.get(f"/api/v1/categories/{parent.category.slug}/products").json()
    by_sku = {p["sku"]: p["photo"] for p in listing["products"]}
    assert by_sku[parent.sku]["alt"] == "Kestrel, any colour" and by_sku[plain.sku] is None
    found = client.get("/api/v1/search", {"q": "kestrel"}).json()["products"]
    assert [p["photo"]["alt"] for p in found] == ["Kestrel, any colour"]
    # and the schema says so
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"url", "webp_url", "width", "height", "alt"} <= set(schema["PhotoOut"]["properties"])


def test_the_comparison_shows_a_thumbnail_and_the_drawing_without_a_photo(client, jpeg):
    parent, _black, _white = _doorbell(jpeg)
    plain = factories.product(name="Wren Camera")
    body = client.get("/compare/", {"sku": [parent.sku, plain.sku]}).content.decode()
    head = body.split("</thead>")[0]
    assert re.search(
        r'<img src="/media/products/[0-9a-f]{64}\.jpg" srcset="[^"]+" sizes="96px" '
        r'width="96" height="64" alt=""',
        head,
    )
    assert f"/images/{parent.sku}.svg" not in head
    assert f'<img src="/images/{plain.sku}.svg" alt="" width="96" height="96">' in head


def test_cart_lines_show_the_variants_photo_and_the_drawing_without(jpeg):
    _parent, black, white = _doorbell(jpeg)
    plain = factories.product(name="Wren Camera", stock=5)
    client = Client()
    first = client.post("/cart/add/", {"sku": white.sku, "quantity": "1"})
    assert first.status_code == 302
    for sku in (black.sku, plain.sku):
        assert client.post("/cart/add/", {"sku": sku, "quantity": "1"}).status_code == 302
    body = client.get("/cart/").content.decode()
    lines = re.findall(r'<td class="item">(.*?)</td>', body, re.S)
    assert len(lines) == 3, body[:2000]
    by_name = {}
    for line in lines:
        name = re.search(r">([^<]+)</a>", line)
        assert name is not None
        by_name[name.group(1)] = line
    white_file = ProductPhoto.objects.get(variant=white).renditions[0]["jpeg"]
    shared_file = ProductPhoto.objects.get(variant=None).renditions[0]["jpeg"]
    # the white one's own photo, the black one its product's, the camera its drawing
    assert white_file in by_name[white.name] and 'sizes="56px"' in by_name[white.name]
    assert 'alt=""' in by_name[white.name]
    assert shared_file in by_name[black.name] and white_file not in by_name[black.name]
    assert f"/images/{plain.sku}.svg" in by_name[plain.name]
