"""The catalog manager edits a product's variants inline, under the product, in the admin
(docs/decisions/0046-product-variants.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.catalog.admin import ProductForm
from lookout.catalog.models import Product, Structure
from lookout.catalog.tests import factories
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(settings) -> Client:
    settings.AUTHENTICATION_BACKENDS = ["lookout.staff.backends.RoleBackend"]
    user = create_account(
        email="catalog@example.com", password="staff-long-pass-1", role=Role.CATALOG_MANAGER
    )
    return client_past_second_factor(user, backend=settings.AUTHENTICATION_BACKENDS[0])


def _form(product: Product, variants: list[dict[str, Any]], *, initial: int = 0) -> dict:
    """The change form as the page posts it: the product's fields, then a row per variant."""
    data: dict[str, Any] = {
        f: ("" if getattr(product, f) is None else getattr(product, f))
        for f in ProductForm.Meta.fields
        if f not in ("works_with", "category")
    }
    data.update(
        {
            "category": product.category_id,
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
            "variants-TOTAL_FORMS": str(len(variants)),
            "variants-INITIAL_FORMS": str(initial),
            "_continue": "Save and continue editing",
        }
    )
    for n, row in enumerate(variants):
        data.update({f"variants-{n}-{k}": v for k, v in row.items()})
        data[f"variants-{n}-parent"] = product.pk
    return data


def _row(sku: str, options: str, price: str, stock: str = "4", **more: str) -> dict[str, str]:
    return {
        "sku": sku,
        "options_text": options,
        "list_price": "120.00",
        "price": price,
        "stock": stock,
        "hue": "30",
        **more,
    }


def test_the_manager_adds_variants_and_the_product_sells_them(manager):
    # given a single product, as every product was before variants
    product = factories.product(name="Harborline Bullet X4")
    url = f"/admin/catalog/product/{product.pk}/change/"
    page = manager.get(url).content.decode()
    assert 'name="variants-TOTAL_FORMS"' in page
    # when the manager adds two variants under it
    response = manager.post(
        url,
        _form(
            product,
            [
                _row("HB-X4-BLK-1", "Colour: Black; Pack: Single", "99.00"),
                _row("HB-X4-WHT-2", "Colour: White; Pack: 2-pack", "110.00", stock="0"),
            ],
        ),
    )
    # then they are saved as its variants, named with their options, and it sells through them
    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert product.structure == Structure.PARENT
    assert (product.price, product.list_price, product.stock) == (Decimal("99.00"), 120, 4)
    black = Product.objects.get(sku="HB-X4-BLK-1")
    assert black.structure == Structure.CHILD and black.parent_id == product.pk
    assert black.name == "Harborline Bullet X4 — Colour: Black, Pack: Single"
    assert black.options == [["Colour", "Black"], ["Pack", "Single"]]
    assert black.category_id == product.category_id and black.resolution == product.resolution
    # and the storefront chooses between them
    body = Client().get(product.get_absolute_url(), {"variant": "HB-X4-WHT-2"}).content.decode()
    assert "SKU HB-X4-WHT-2" in body and "$110.00" in body
    # and on the product's form, its prices and stock are its variants' (not edited there)
    page = manager.get(url).content.decode()
    assert 'name="price"' not in page and 'name="stock"' not in page
    assert 'value="Colour: Black; Pack: Single"' in page
    # and a variant's own change page leads to its product's
    assert manager.get(f"/admin/catalog/product/{black.pk}/change/")["Location"] == url


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [_row("V-1", "Colour: Black", "99.00"), _row("V-2", "Size: Large", "99.00")],
            "other variants have the options Colour",
        ),
        (
            [_row("V-1", "Colour: Black", "99.00"), _row("V-2", "Colour: black", "99.00")],
            "another variant already has these options",
        ),
        ([_row("V-1", "Black", "99.00")], "Write each option as Name: value"),
        ([_row("V-1", "Colour: Black", "130.00")], "cannot be above the list price"),
        ([_row("TAKEN-1", "Colour: Black", "99.00")], "already exists"),
    ],
)
def test_a_wrong_variant_is_a_message_and_nothing_is_saved(manager, rows, message):
    product = factories.product()
    factories.product(sku="TAKEN-1")  # another product's SKU
    response = manager.post(f"/admin/catalog/product/{product.pk}/change/", _form(product, rows))
    assert response.status_code == 200
    assert message in response.content.decode()
    product.refresh_from_db()
    assert product.structure == Structure.STANDALONE
    assert not Product.objects.filter(parent=product).exists()


def test_removing_the_last_variant_makes_a_single_product_again(manager):
    parent, (black, white) = factories.product_with_variants()
    url = f"/admin/catalog/product/{parent.pk}/change/"
    rows = [
        {**_row(v.sku, f"Colour: {c}", str(v.price)), "id": v.pk, "DELETE": "on"}
        for v, c in ((black, "Black"), (white, "White"))
    ]
    response = manager.post(url, _form(parent, rows, initial=2))
    assert response.status_code == 302, response.content.decode()[:2000]
    parent.refresh_from_db()
    assert parent.structure == Structure.STANDALONE and not parent.variants.exists()
