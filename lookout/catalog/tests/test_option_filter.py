"""The category page filters by an option value (issue 24: "search and filters ... speak of
variants"; docs/decisions/0046-product-variants.md): its panel offers the values the category's
variants have, and ticking one lists the products with a variant of that value, without
JavaScript (a GET form), through the `VariantOption` rows the catalog services keep."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lookout.catalog import cache as page_cache
from lookout.catalog import services
from lookout.catalog.models import VariantOption
from lookout.catalog.tests import factories

pytestmark = pytest.mark.django_db


def _catalog():
    """Doorbells: one in black (sold out) and white, one in black and nickel, one in red and a
    single product; in another category a camera in blue."""
    doorbells = factories.category(slug="video-doorbells", name="Video doorbells")
    kestrel, _ = factories.product_with_variants(
        [
            {"sku": "KES-BLK", "options": [["Colour", "Black"]], "price": Decimal("80.00"),
             "stock": 0},
            {"sku": "KES-WHT", "options": [["Colour", "White"]], "price": Decimal("95.00")},
        ],
        name="Kestrel Doorbell", category=doorbells,
    )  # fmt: skip
    heron, _ = factories.product_with_variants(
        [
            {"sku": "HER-BLK", "options": [["Colour", "Black"]], "price": Decimal("70.00")},
            {"sku": "HER-NKL", "options": [["Colour", "Nickel"]], "price": Decimal("75.00")},
        ],
        name="Heron Doorbell", category=doorbells,
    )  # fmt: skip
    robin, _ = factories.product_with_variants(
        [{"sku": "ROB-RED", "options": [["Colour", "Red"]], "price": Decimal("60.00")}],
        name="Robin Doorbell", category=doorbells,
    )  # fmt: skip
    single = factories.product(name="Wren Doorbell", category=doorbells)
    cameras = factories.category(slug="outdoor-cameras", name="Outdoor cameras")
    factories.product_with_variants(
        [{"sku": "OWL-BLU", "options": [["Colour", "Blue"]], "price": Decimal("60.00")}],
        name="Owl Camera", category=cameras,
    )  # fmt: skip
    return doorbells, {"kestrel": kestrel, "heron": heron, "robin": robin, "single": single}


def _names(body: str) -> set[str]:
    return set(re.findall(r'<h3 class="card-title">([^<]+)</h3>', body))


def _checkboxes(body: str) -> list[tuple[str, bool]]:
    return [
        (value, bool(checked))
        for value, checked in re.findall(
            r'<input type="checkbox" name="option" value="([^"]+)"( checked)?>', body
        )
    ]


def test_the_panel_offers_the_option_values_of_the_category_only(client):
    doorbells, _ = _catalog()
    body = client.get(doorbells.get_absolute_url()).content.decode()
    # then the panel has a "Colour" group with each value once, in the order they were added
    assert re.search(r"<legend>Colour</legend>", body)
    assert _checkboxes(body) == [
        ("Colour: Black", False),
        ("Colour: White", False),
        ("Colour: Nickel", False),
        ("Colour: Red", False),
    ]
    # and not the blue of a camera in another category
    assert "Blue" not in body
    # and it is a plain GET form (works without JavaScript)
    assert re.search(r'<form method="get" action=""', body)


def test_filtering_by_a_colour_lists_the_products_with_a_variant_of_it(client):
    doorbells, _ = _catalog()
    url = doorbells.get_absolute_url()
    response = client.get(url, {"option": "Colour: Black"})
    body = response.content.decode()
    assert response.status_code == 200
    assert _names(body) == {"Kestrel Doorbell", "Heron Doorbell"}
    assert ("Colour: Black", True) in _checkboxes(body)
    # two values of one option: either
    either = client.get(url, {"option": ["Colour: Nickel", "Colour: Red"]}).content.decode()
    assert _names(either) == {"Heron Doorbell", "Robin Doorbell"}
    # a value no doorbell has any more after a change of its variant's options
    services.upsert_variant(
        parent=_catalog_parent("Robin Doorbell"),
        sku="ROB-RED",
        options=[["Colour", "Green"]],
        price=Decimal("60.00"),
        list_price=Decimal("100.00"),
        stock=5,
    )
    green = client.get(url, {"option": "Colour: Green"}).content.decode()
    assert _names(green) == {"Robin Doorbell"}
    assert ("Colour: Red", False) not in _checkboxes(green)


def _catalog_parent(name: str):
    from lookout.catalog.models import Product

    return Product.objects.get(name=name)


def test_the_option_and_the_other_filters_hold_for_one_variant(client):
    doorbells, _ = _catalog()
    # the Kestrel's black is sold out, its white in stock: "black, in stock" is the Heron only
    body = client.get(
        doorbells.get_absolute_url(), {"option": "Colour: Black", "in_stock": "on"}
    ).content.decode()
    assert _names(body) == {"Heron Doorbell"}
    # and a price range holds for the same variant: black under $75 is the Heron ($70) only
    cheap = client.get(
        doorbells.get_absolute_url(), {"option": "Colour: Black", "max_price": "75"}
    ).content.decode()
    assert _names(cheap) == {"Heron Doorbell"}


def test_an_unknown_option_value_is_a_clear_400_with_every_product(client):
    doorbells, _ = _catalog()
    for value in ("Colour: Purple", "Colour: Blue", "nonsense", "Colour:"):
        response = client.get(doorbells.get_absolute_url(), {"option": value})
        body = response.content.decode()
        assert response.status_code == 400, value
        assert "No product here comes in" in body and "Some filters were not understood" in body
        assert len(_names(body)) == 4


def test_option_rows_follow_the_variants(client):
    _doorbells, products = _catalog()
    heron = products["heron"]
    rows = set(VariantOption.objects.filter(variant__parent=heron).values_list("name", "value"))
    assert rows == {("Colour", "Black"), ("Colour", "Nickel")}
    heron.variants.get(sku="HER-NKL").delete()
    services.refresh_parent(heron)
    rows = set(VariantOption.objects.filter(variant__parent=heron).values_list("name", "value"))
    assert rows == {("Colour", "Black")}


def test_the_filter_is_part_of_the_page_cache_key(settings, django_capture_on_commit_callbacks):
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    try:
        doorbells, _ = _catalog()
        url = doorbells.get_absolute_url()
        black = [Client().get(url, {"option": "Colour: Black"}) for _ in range(2)]
        red = [Client().get(url, {"option": "Colour: Red"}) for _ in range(2)]
        assert [r["X-Page-Cache"] for r in black + red] == ["miss", "hit", "miss", "hit"]
        assert _names(black[1].content.decode()) == {"Kestrel Doorbell", "Heron Doorbell"}
        assert _names(red[1].content.decode()) == {"Robin Doorbell"}
    finally:
        page_cache.local.clear()


def test_a_filtered_listing_costs_the_same_queries_whatever_the_number_of_products(client):
    doorbells, _ = _catalog()
    url = f"{doorbells.get_absolute_url()}?option=Colour%3A+Black&in_stock=on"

    def queries() -> int:
        client.get(url)  # warm per-process caches (navigation)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for n in range(3):
        factories.product_with_variants(
            [
                {"sku": f"M{n}-BLK", "options": [["Colour", "Black"]], "price": Decimal("50")},
                {"sku": f"M{n}-GRN", "options": [["Colour", "Green"]], "price": Decimal("55")},
            ],
            name=f"Magpie Doorbell {n}",
            category=doorbells,
        )
    assert queries() == before


# The JSON API's category listing takes the same filter (`option=Colour: Black`, repeatable).


def _api(client, doorbells, params) -> tuple[int, dict]:
    response = client.get(f"/api/v1/categories/{doorbells.slug}/products", params)
    return response.status_code, response.json()


def _api_names(data: dict) -> set[str]:
    return {p["name"] for p in data["products"]}


def test_the_api_filters_a_category_by_colour_as_the_page_does(client):
    doorbells, _ = _catalog()
    # given a colour: the products with a variant of it, each named once, as products
    status, data = _api(client, doorbells, {"option": "Colour: Black"})
    assert status == 200
    assert _api_names(data) == {"Kestrel Doorbell", "Heron Doorbell"}
    assert data["count"] == 2 and all(p["has_variants"] for p in data["products"])
    # two values of one option: either
    _status, either = _api(client, doorbells, {"option": ["Colour: Nickel", "Colour: Red"]})
    assert _api_names(either) == {"Heron Doorbell", "Robin Doorbell"}
    # and the other filters hold for the same variant: the Kestrel's black is sold out
    _status, in_stock = _api(client, doorbells, {"option": "Colour: Black", "in_stock": "true"})
    assert _api_names(in_stock) == {"Heron Doorbell"}
    _status, cheap = _api(client, doorbells, {"option": "Colour: Black", "max_price": "75"})
    assert _api_names(cheap) == {"Heron Doorbell"}
    # without the filter: all four, the single product too
    assert _api_names(_api(client, doorbells, {})[1]) == {
        "Kestrel Doorbell",
        "Heron Doorbell",
        "Robin Doorbell",
        "Wren Doorbell",
    }


def test_the_api_refuses_an_unknown_option_value_with_a_sentence(client):
    doorbells, _ = _catalog()
    for value in ("Colour: Purple", "Colour: Blue", "nonsense", "Colour:", "colour: black"):
        status, data = _api(client, doorbells, {"option": ["Colour: Black", value]})
        # then a 422 in the Problem shape, naming the values the category has, not the one sent
        assert status == 422, value
        assert data["detail"].startswith("No product here comes in that option value")
        assert "Colour: Black, Colour: White, Colour: Nickel, Colour: Red" in data["detail"]
        assert data["errors"] == {"query.option": [data["detail"]]}
        assert "Purple" not in data["detail"] and "Blue" not in data["detail"]
    # a category whose products have no options at all
    plain = factories.category(slug="plain", name="Plain")
    factories.product(name="Plain Camera", category=plain)
    status, data = _api(client, plain, {"option": "Colour: Black"})
    assert status == 422 and data["detail"] == "No product here has options to filter by."


def test_the_api_documents_the_option_filter(client):
    doc = client.get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/categories/{slug}/products"]["get"]
    (option,) = [p for p in operation["parameters"] if p["name"] == "option"]
    assert option["in"] == "query" and not option.get("required")
    assert option["schema"]["type"] == "array"
    assert option["schema"]["items"]["type"] == "string"
    assert "Colour: Black" in option["description"]
    assert "422" in operation["responses"]
