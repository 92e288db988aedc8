"""`lookout catalog import`: a whole file is checked before anything is written, products are
matched by SKU, prices stay exact to the cent. Runs in both passes (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lookout.catalog.models import Category, Product
from lookout.catalog.search import search_products

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
HEADER = "sku,name,brand,category,price,list_price,stock,placement"


def _run(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("catalog", "import", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _csv(tmp_path: Path, *lines: str, name: str = "products.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _catalog() -> list[tuple]:
    return list(
        Product.objects.order_by("sku").values_list(
            "sku", "name", "price", "list_price", "stock", "category__slug", "slug"
        )
    )


def test_the_example_csv_loads_every_product_exactly() -> None:
    # when the shipped example file is imported
    said, _ = _run(EXAMPLES / "catalog.csv")
    # then its five products and four categories exist, prices exact to the cent
    assert "5 product(s) created, 0 updated, 0 unchanged" in said
    assert Product.objects.count() == 5
    assert Category.objects.get(slug="indoor-cameras").name == "Indoor cameras"
    # listed in the order the file first names them
    assert [c.slug for c in Category.objects.all()] == [
        "indoor-cameras", "outdoor-cameras", "video-doorbells", "sensors-and-alarms", "accessories"
    ]  # fmt: skip
    pan = Product.objects.get(sku="EX-1001")
    assert (pan.price, pan.list_price, pan.stock) == (Decimal("49.99"), Decimal("69.99"), 40)
    assert (pan.placement, pan.power, pan.resolution) == ("indoor", "plug-in", 1440)
    assert pan.saving == Decimal("20.00")
    # and the products are found by search, as products made any other way are
    assert [p.sku for p in search_products(query="Nightjar bullet").products] == ["EX-1002"]


def test_the_example_json_gives_the_same_catalog_as_the_csv(tmp_path: Path) -> None:
    # given the catalog the CSV example makes
    _run(EXAMPLES / "catalog.csv")
    from_csv = _catalog()
    # when the JSON example (prices as JSON numbers and as strings) is imported over it
    said, _ = _run(EXAMPLES / "catalog.json")
    # then nothing changes: the same products, matched by SKU, with the same exact prices
    assert "0 product(s) created, 0 updated, 5 unchanged" in said
    assert _catalog() == from_csv


def test_a_json_file_alone_creates_its_products_with_exact_prices(tmp_path: Path) -> None:
    path = tmp_path / "few.json"
    path.write_text(
        '[{"sku": "J-1", "name": "Cam", "brand": "B", "category": "cams", "price": 0.10,'
        ' "list_price": 0.30, "stock": 3, "placement": "outdoor"}]'
    )
    _run(path)
    cam = Product.objects.get(sku="J-1")
    # 0.1 and 0.3 have no exact binary float: read as decimals they stay exact
    assert (cam.price, cam.list_price) == (Decimal("0.10"), Decimal("0.30"))
    assert cam.list_price - cam.price == Decimal("0.20")


def test_re_importing_updates_products_by_sku(tmp_path: Path) -> None:
    # given an imported file
    _run(
        _csv(tmp_path, "A-1,Cam One,B,cams,10.00,12.00,5,indoor", "A-2,Cam Two,B,cams,20,20,1,both")
    )
    first_slug = Product.objects.get(sku="A-1").slug
    # when a corrected file with a new price, stock and name for A-1 and a new product is imported
    said, _ = _run(
        _csv(
            tmp_path,
            "A-1,Cam One Plus,B,cams,9.50,12.00,7,indoor",
            "A-2,Cam Two,B,cams,20,20,1,both",
            "A-3,Cam Three,B,other-cams,30.01,31,0,outdoor",
            name="again.csv",
        )
    )
    # then A-1 is updated in place (same row, same address), A-3 added, A-2 untouched
    assert "1 product(s) created, 1 updated, 1 unchanged" in said
    assert "New categories: other-cams." in said
    assert Product.objects.count() == 3
    one = Product.objects.get(sku="A-1")
    assert (one.name, one.price, one.stock, one.slug) == (
        "Cam One Plus",
        Decimal("9.50"),
        7,
        first_slug,
    )
    assert [p.sku for p in search_products(query="plus").products] == ["A-1"]


def test_a_bad_file_is_refused_whole_with_each_problem_named(tmp_path: Path) -> None:
    # given a catalog already in place
    _run(_csv(tmp_path, "A-1,Cam One,B,cams,10.00,12.00,5,indoor"))
    before = _catalog()
    # when a file with one good row (an update) and several bad ones is imported
    bad = _csv(
        tmp_path,
        "A-1,Cam One,B,cams,8.00,12.00,5,indoor",  # fine on its own
        "A-2,Cam Two,B,cams,19.999,25,4,indoor",  # not exact to the cent
        "A-3,,B,cams,10,9,x,attic",  # no name, price above list, stock and placement wrong
        "A-1,Again,B,cams,5,5,1,indoor",  # the same SKU twice
        name="bad.csv",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 6 problem"):
        call_command("catalog", "import", str(bad), stdout=StringIO(), stderr=err)
    # then the catalog is exactly as it was: not even the good row was written
    assert _catalog() == before
    # and every problem is reported once, with its line and column
    report = err.getvalue()
    assert "line 3, column price: '19.999' is not exact to the cent" in report
    assert "line 4, column name: required" in report
    assert "line 4, column price: 10.00 is above the list price 9.00" in report
    assert "line 4, column stock: 'x' must be a whole number" in report
    assert "line 4, column placement: 'attic' must be one of: indoor, outdoor, both" in report
    assert "line 5, column sku: 'A-1' is already on line 2" in report


def test_an_unknown_or_missing_column_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("sku,name,colour\nA-1,Cam,red\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(path), stdout=StringIO(), stderr=err)
    assert "unknown column 'colour'" in err.getvalue()
    assert "the required column 'price' is missing" in err.getvalue()
    assert Product.objects.count() == 0


def test_a_product_page_address_of_another_sku_is_refused(tmp_path: Path) -> None:
    _run(_csv(tmp_path, "A-1,Cam,B,cams,10,10,1,indoor"))
    taken = Product.objects.get().slug
    path = tmp_path / "slug.json"
    other = {"sku": "A-2", "name": "Other", "brand": "B", "category": "cams", "price": "5",
             "stock": 1, "placement": "both", "slug": taken}  # fmt: skip
    path.write_text(json.dumps([other]))
    with pytest.raises(CommandError):
        _run(path)
    assert Product.objects.count() == 1


def test_a_dry_run_says_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    said, _ = _run(EXAMPLES / "catalog.csv", "--dry-run")
    assert "5 product(s) would be created" in said
    assert "Dry run: nothing was written." in said
    assert Product.objects.count() == Category.objects.count() == 0


def test_a_variant_or_a_product_with_variants_is_not_imported_over(tmp_path: Path) -> None:
    # given a product with variants (kept together in the admin, decision 0046)
    from lookout.catalog.tests.factories import product_with_variants

    parent, (black, _white) = product_with_variants(name="Kestrel Doorbell Pro")
    before = _catalog()
    # when a file names the variant's SKU and the product's, then nothing is written
    path = _csv(
        tmp_path,
        f"{black.sku},Other,B,cams,5.00,6.00,1,indoor",
        f"{parent.sku},Other,B,cams,5.00,6.00,1,indoor",
    )
    with pytest.raises(CommandError, match="2 problem"):
        _run(path)
    assert _catalog() == before
