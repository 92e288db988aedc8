"""Product photos in a real Chromium against the real server: the catalog manager uploads a
GPS-tagged phone photo in the admin, and no stored rendition carries any of its metadata.

The server (tests/e2e/conftest.py) stores uploads with the development profile's storage, a
folder in its temporary LOOKOUT_VAR_DIR; the test reads the stored files back over HTTP, as a
shopper's browser gets them, and from the server's storage folder.
"""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_accessibility import axe_source, check_page, too_wide  # noqa: F401 fixture
from tests.e2e.test_backoffice_browser import _lookout, _sign_in

pytestmark = pytest.mark.browser

GPS_IFD = 0x8825
# The live server's own database: staff (accounts.demo) and a product with no photo yet.
PREPARE = """
import json
from lookout.accounts import demo
from lookout.catalog.models import Product
demo.load(progress=lambda m: None)
product = Product.objects.filter(photos__isnull=True).order_by("sku").first()
print(json.dumps({"pk": product.pk, "url": product.get_absolute_url(), "name": product.name}))
"""
PHOTO_FILES = """
import json
from lookout.catalog.models import Product
product = Product.objects.get(pk={pk})
print(json.dumps([name for photo in product.photos.all() for name in photo.file_names()]))
"""


@pytest.fixture(scope="module")
def site(live_server_url: str, tmp_path_factory: pytest.TempPathFactory):
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*/lookout.sqlite3"))
    assert len(found) == 1, found
    var_dir = found[0].parent
    made = json.loads(_lookout(var_dir, "shell", "-c", PREPARE).strip().splitlines()[-1])
    return live_server_url, var_dir, made


def _phone_photo(path: Path) -> Path:
    """A JPEG as a phone writes it: EXIF with a GPS position, camera make and orientation."""
    image = Image.new("RGB", (1200, 900), (225, 230, 236))
    ImageDraw.Draw(image).ellipse((400, 250, 800, 650), fill=(30, 60, 90))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to stand upright
    exif[0x010F] = "Phonemaker"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    image.save(path, "JPEG", exif=exif, comment=b"shot at the warehouse", quality=90)
    assert Image.open(path).getexif().get_ifd(GPS_IFD)
    return path


def _get(url: str) -> tuple[bytes, str]:
    """The body and the Cache-Control header (looked up in any case) of a GET."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test server
        return response.read(), response.headers.get("Cache-Control", "")


def _open_change_page(page: Page, base: str, var_dir: Path, pk: int) -> None:
    _sign_in(page, base, "catalog_manager")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalog")
    page.goto(f"{base}/admin/catalog/product/{pk}/change/")
    expect(page.locator('input[name="photos-0-upload"]')).to_be_attached()


def test_the_catalog_manager_uploads_a_gps_tagged_photo_and_no_stored_file_keeps_it(
    site,
    browser,
    axe_source: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    screenshots_dir: Path,
) -> None:
    base, var_dir, made = site
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    csp_errors: list[str] = []
    page.on(
        "console", lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None
    )
    try:
        # Given the catalog manager on the product's admin page
        _open_change_page(page, base, var_dir, made["pk"])
        # When they pick a text file named like a photo and save
        fake = tmp_path / "front.jpg"
        fake.write_bytes(b"this is a shopping list, not a photo\n" * 30)
        page.locator('input[name="photos-0-upload"]').set_input_files(str(fake))
        page.locator('input[name="photos-0-alt_text"]').fill("Front view")
        page.get_by_role("button", name="Save and continue editing").click()
        # Then the form says why, next to the file, and nothing was stored
        expect(page.locator(".errorlist")).to_contain_text("not a JPEG, PNG or WebP image")
        assert json.loads(_lookout(var_dir, "shell", "-c", PHOTO_FILES.format(pk=made["pk"]))
                          .strip().splitlines()[-1]) == []  # fmt: skip
        # When they upload a real phone photo with a GPS position instead
        photo = _phone_photo(tmp_path / "IMG_2041.jpg")
        page.locator('input[name="photos-0-upload"]').set_input_files(str(photo))
        page.locator('input[name="photos-0-alt_text"]').fill("The camera from the front")
        page.get_by_role("button", name="Save and continue editing").click()
        # Then the admin saved it and shows its preview
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
        expect(page.locator('img[alt="The camera from the front"]')).to_be_visible()
        page.screenshot(path=str(screenshots_dir / "admin-product-photos.png"), full_page=True)
        # And every stored rendition is free of EXIF, GPS and the comment, served as immutable
        names = json.loads(
            _lookout(var_dir, "shell", "-c", PHOTO_FILES.format(pk=made["pk"]))
            .strip()
            .splitlines()[-1]
        )
        assert len(names) == 6  # 320, 640 and 900 px wide (upright), each WebP and JPEG
        for name in names:
            served, cache_control = _get(f"{base}/media/{name}")
            assert cache_control == "public, max-age=31536000, immutable"
            on_disk = (var_dir / "media" / name).read_bytes()
            assert served == on_disk
            for marker in (b"Exif", b"EXIF", b"GPS", b"Phonemaker", b"warehouse"):
                assert marker not in served, (name, marker)
            stored = Image.open(io.BytesIO(served))
            assert not stored.getexif() and not stored.getexif().get_ifd(GPS_IFD)
        # And the shopper's product page shows the photo, upright, as WebP, allowed by the CSP
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            page.goto(base + made["url"])
            image = page.locator('.product-media img[alt="The camera from the front"]')
            expect(image).to_be_visible()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
            )
            source = image.evaluate("img => img.currentSrc")
            assert "/media/products/" in source and source.endswith(".webp")
            width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            assert height > width  # the orientation was applied
            # and the page stays accessible (axe: no serious violation) and within a phone's width
            check_page(page, axe_source, f"product page with a photo at {viewport['width']} px")
            assert too_wide(page)[0] <= viewport["width"]
        page.screenshot(path=str(screenshots_dir / "product-photo-phone.png"), full_page=True)
        assert csp_errors == []
    finally:
        context.close()
