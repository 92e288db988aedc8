"""Product variants (issue 24, item 2; docs/decisions/0046-product-variants.md): a product page
chooses a variant without JavaScript, listings show one card per product, a parent is never
bought itself, and every variant's page is cached under its own key."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from lookout.cart.models import CartLine
from lookout.catalog import cache as page_cache
from lookout.catalog import services
from lookout.catalog.models import Product, Structure
from lookout.catalog.search import search_products
from lookout.catalog.tests import factories


def _variants(**overrides):
    """A doorbell in black ($80.00 of $100.00, 5 in stock) and white ($95.00, none left)."""
    return factories.product_with_variants(
        [
            {"sku": "DB-BLK", "options": [["Colour", "Black"]], "price": Decimal("80.00")},
            {
                "sku": "DB-WHT",
                "options": [["Colour", "White"]],
                "price": Decimal("95.00"),
                "stock": 0,
            },
        ],
        name="Kestrel Doorbell Pro",
        **overrides,
    )


def _add_form_sku(body: str) -> str | None:
    form = re.search(r'<form class="add-form".*?</form>', body, re.S)
    if form is None:
        return None
    return re.search(r'name="sku" value="([^"]+)"', form.group(0)).group(1)  # type: ignore[union-attr]


@pytest.mark.django_db
def test_existing_products_are_single_variant_products():
    # given a product made as every product was before variants (no structure named)
    item = factories.product()
    # then it is a standalone product: no parent, no options, bought as it is
    item.refresh_from_db()
    assert item.structure == Structure.STANDALONE
    assert item.parent_id is None and item.options == [] and item.purchasable


@pytest.mark.django_db
def test_a_parent_summarises_its_variants():
    # given a product with a black ($80) and a white ($95, sold out) variant
    parent, (black, _white) = _variants()
    # then the parent is not bought itself, and reads as its cheapest variant, stock added up
    assert parent.structure == Structure.PARENT and not parent.purchasable
    assert (parent.price, parent.list_price, parent.stock) == (Decimal("80.00"), 100, 5)
    # and each variant is named with its options and shares the parent's category and brand
    assert black.name == "Kestrel Doorbell Pro — Colour: Black"
    assert (black.category_id, black.brand) == (parent.category_id, parent.brand)
    assert black.get_absolute_url() == f"/p/{parent.slug}/?variant=DB-BLK"
    # when the parent is renamed, its variants follow
    services.upsert_product(
        sku=parent.sku,
        list_price=parent.list_price,
        price=parent.price,
        name="Kestrel Doorbell Pro 2",
    )
    assert Product.objects.get(sku="DB-WHT").name == "Kestrel Doorbell Pro 2 — Colour: White"


@pytest.mark.django_db
def test_the_product_page_shows_the_first_variant_in_stock(client):
    # given the doorbell in black and (sold out) white
    parent, _ = _variants()
    # when a visitor opens its page with no variant chosen
    response = client.get(parent.get_absolute_url())
    body = response.content.decode()
    # then the black one is shown: its price, stock, SKU, and the form adds that variant
    assert response.status_code == 200
    assert 'aria-current="true"><span class="variant-values">Black' in body
    assert '<span class="now" data-sku="DB-BLK">$80.00</span>' in body
    assert "In stock — ships in 1\N{EN DASH}3 business days" in body and "SKU DB-BLK" in body
    assert _add_form_sku(body) == "DB-BLK"
    # and a plain link chooses the white one (no JavaScript needed)
    assert f'href="/p/{parent.slug}/?variant=DB-WHT"' in body


@pytest.mark.django_db
def test_choosing_a_variant_without_javascript_shows_its_price_stock_and_sku(client):
    # given the doorbell in black and (sold out) white
    parent, _ = _variants()
    # when the visitor follows the link of the white one
    response = client.get(parent.get_absolute_url(), {"variant": "DB-WHT"})
    body = response.content.decode()
    # then its own price, stock and SKU are shown, and nothing can be added (sold out)
    assert response.status_code == 200
    assert '<span class="now" data-sku="DB-WHT">$95.00</span>' in body
    assert "$80.00</span>" not in body.split('class="variant-chooser"')[0]
    assert '<p class="stock out">Out of stock</p>' in body and "SKU DB-WHT" in body
    assert 'aria-current="true"><span class="variant-values">White' in body
    assert _add_form_sku(body) is None
    # and the shared specs and name are the parent's
    assert "<h1>Kestrel Doorbell Pro</h1>" in body and "Field of view" in body


@pytest.mark.django_db
def test_an_unknown_variant_is_a_404_that_shows_the_others(client):
    parent, _ = _variants()
    response = client.get(parent.get_absolute_url(), {"variant": "NOPE"})
    body = response.content.decode()
    assert response.status_code == 404
    assert "has no variant with that SKU" in body and "DB-BLK" in body


@pytest.mark.django_db
def test_a_variants_own_slug_leads_to_its_parents_page(client):
    parent, (black, _white) = _variants()
    response = client.get(f"/p/{black.slug}/")
    assert response.status_code == 301
    assert response["Location"] == f"/p/{parent.slug}/?variant=DB-BLK"


@pytest.mark.django_db
def test_a_parent_cannot_be_added_to_the_cart(client):
    # given a product with variants
    parent, _ = _variants()
    # when its own SKU is posted to the cart (a hand-made form), on the page and the API
    page = client.post("/cart/add/", {"sku": parent.sku, "quantity": "1"})
    api = client.post(
        "/api/v1/cart/" + client.post("/api/v1/cart").json()["token"] + "/items",
        {"sku": parent.sku, "quantity": 1},
        content_type="application/json",
    )
    # then both refuse it with a sentence saying to choose a version, and no line is added
    assert page.status_code == 409 and "please choose one on its page" in page.content.decode()
    assert api.status_code == 409 and "please choose one on its page" in api.json()["detail"]
    assert not CartLine.objects.filter(product=parent).exists()
    # while a variant goes in
    added = client.post("/cart/add/", {"sku": "DB-BLK", "quantity": "1"})
    assert added.status_code == 302
    assert CartLine.objects.filter(product__sku="DB-BLK").exists()


@pytest.mark.django_db
def test_the_category_page_shows_one_card_per_product_from_its_cheapest_price(client):
    # given the doorbell with two variants beside a single-variant product
    parent, _ = _variants()
    single = factories.product(name="Plain Camera")
    # when the category is listed
    body = client.get("/c/outdoor-cameras/").content.decode()
    # then the doorbell has one card, "From $80.00", with its choices; no variant has a card
    assert body.count("Kestrel Doorbell Pro") == 1
    assert '<span class="from">From </span><span class="now" data-sku="' + parent.sku in body
    assert "2 choices of colour" in body
    assert "DB-BLK" not in body and "DB-WHT" not in body
    assert single.name in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("max_price=85", True),  # black at $80
        ("min_price=90", True),  # white at $95
        ("min_price=90&in_stock=on", False),  # white is sold out, black too cheap
        ("in_stock=on", True),
        ("min_price=96", False),
    ],
)
def test_filters_match_a_product_when_one_variant_matches_them_all(client, query, listed):
    _variants()
    body = client.get(f"/c/outdoor-cameras/?{query}").content.decode()
    assert ("Kestrel Doorbell Pro" in body) is listed


@pytest.mark.django_db
def test_a_variants_sku_finds_its_product_and_the_variant_is_no_result_of_its_own():
    parent, _ = _variants()
    result = search_products(query="DB-WHT")
    assert [p.sku for p in result.products] == [parent.sku]
    assert [p.sku for p in search_products(query="white kestrel").products] == [parent.sku]


@pytest.mark.django_db
def test_each_variant_page_is_cached_under_its_own_key(
    settings, django_capture_on_commit_callbacks
):
    # given the page cache on
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    try:
        parent, _ = _variants()
        url = parent.get_absolute_url()
        # when the black and the white pages are each opened twice
        first_black = Client().get(url, {"variant": "DB-BLK"})
        first_white = Client().get(url, {"variant": "DB-WHT"})
        black = Client().get(url, {"variant": "DB-BLK"})
        white = Client().get(url, {"variant": "DB-WHT"})
        # then the second visits are hits, and each shows its own variant
        assert (first_black["X-Page-Cache"], first_white["X-Page-Cache"]) == ("miss", "miss")
        assert (black["X-Page-Cache"], white["X-Page-Cache"]) == ("hit", "hit")
        assert "SKU DB-BLK" in black.content.decode()
        assert "SKU DB-WHT" in white.content.decode()
        # and an unknown variant is never stored
        Client().get(url, {"variant": "NOPE"})
        assert Client().get(url, {"variant": "NOPE"})["X-Page-Cache"] == "miss"
        # and a price change of one variant shows at once (the generation moved)
        with django_capture_on_commit_callbacks(execute=True):
            services.upsert_variant(
                parent=parent,
                sku="DB-WHT",
                options=[["Colour", "White"]],
                price=Decimal("90.00"),
                list_price=Decimal("100.00"),
                stock=0,
            )
        again = Client().get(url, {"variant": "DB-WHT"})
        assert again["X-Page-Cache"] == "miss" and "$90.00" in again.content.decode()
    finally:
        page_cache.local.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "at least one option"),
        ([["Colour", ""]], "a name and a value"),
        ([["Col:our", "Black"]], "no ':' or ';'"),
        ([["Colour", "Black"], ["colour", "White"]], "named twice"),
        ([["Size", "Large"]], "other variants have the options Colour"),
        ([["Colour", "black"]], "another variant already has these options"),
    ],
)
def test_variant_options_are_checked(options, message):
    parent, _ = _variants()
    with pytest.raises(services.CatalogError, match=message):
        services.upsert_variant(
            parent=parent,
            sku="DB-NEW",
            options=options,
            price=Decimal("50.00"),
            list_price=Decimal("60.00"),
            stock=1,
        )


@pytest.mark.django_db
def test_a_variant_keeps_the_price_rules():
    parent, _ = _variants()
    with pytest.raises(services.CatalogError, match="at most the list price"):
        services.upsert_variant(
            parent=parent,
            sku="DB-RED",
            options=[["Colour", "Red"]],
            price=Decimal("120.00"),
            list_price=Decimal("100.00"),
            stock=1,
        )


@pytest.mark.django_db
def test_the_api_lists_a_products_variants(client):
    # given the doorbell in black and (sold out) white
    parent, _ = _variants()
    # when its detail is asked for
    data = client.get(f"/api/v1/products/{parent.sku}").json()
    # then it says it is bought as a variant, and lists each with its options, prices, stock
    assert data["has_variants"] is True and data["price"] == "80.00"
    assert [
        (v["sku"], v["options"], v["price"], v["list_price"], v["in_stock"])
        for v in data["variants"]
    ] == [
        ("DB-BLK", [{"name": "Colour", "value": "Black"}], "80.00", "100.00", True),
        ("DB-WHT", [{"name": "Colour", "value": "White"}], "95.00", "100.00", False),
    ]
    assert data["variants"][1]["url"] == f"/p/{parent.slug}/?variant=DB-WHT"
    # and a variant's SKU answers the variant, naming its product
    white = client.get("/api/v1/products/DB-WHT").json()
    assert (white["variant_of"], white["price"], white["in_stock"]) == (parent.sku, "95.00", False)
    assert white["options"] == [{"name": "Colour", "value": "White"}] and white["variants"] == []
    # and the category listing names the product once, as one with variants
    listing = client.get("/api/v1/categories/outdoor-cameras/products").json()["products"]
    assert [(p["sku"], p["has_variants"]) for p in listing] == [(parent.sku, True)]
    # and search by a variant's SKU finds the product
    found = client.get("/api/v1/search", {"q": "DB-WHT"}).json()["products"]
    assert [p["sku"] for p in found] == [parent.sku]


@pytest.mark.django_db
def test_a_cart_line_names_the_variant(client):
    parent, _ = _variants()
    token = client.post("/api/v1/cart").json()["token"]
    data = client.post(
        f"/api/v1/cart/{token}/items", {"sku": "DB-BLK"}, content_type="application/json"
    ).json()
    assert [(line["sku"], line["name"], line["options"]) for line in data["lines"]] == [
        ("DB-BLK", "Kestrel Doorbell Pro — Colour: Black", [{"name": "Colour", "value": "Black"}])
    ]
    page = client.get(f"/cart/{token}/").content.decode()
    assert "Kestrel Doorbell Pro — Colour: Black" in page
    assert f'href="/p/{parent.slug}/?variant=DB-BLK&amp;cart=' in page


@pytest.mark.django_db
def test_the_demo_catalog_has_products_in_colours_and_pack_sizes(client, demo_catalog):
    from lookout.catalog import demo

    # given the demo catalog, loaded once and then again (as every `make run` does)
    count = Product.objects.count()
    demo.load(progress=lambda message: None)
    assert Product.objects.count() == count
    # then three products come in variants: colours, pack sizes, and both
    parents = Product.objects.filter(structure=Structure.PARENT)
    names = sorted({n for p in parents for v in p.variants.all() for n, _ in v.options})
    assert parents.count() == 3 and names == ["Colour", "Pack"]
    both = next(p for p in parents if p.variants.count() == 4)
    assert both.variants.filter(options__0__0="Colour").count() == 4
    # and each one's page chooses among them
    body = client.get(both.get_absolute_url()).content.decode()
    assert body.count('<span class="variant-values">') == 4
    assert "Choose colour and pack" in body
