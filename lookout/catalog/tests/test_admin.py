"""Admin edits bump the page-cache generation, so cached storefront pages show them at once."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from lookout.catalog import cache as page_cache
from lookout.catalog.admin import ProductForm
from lookout.catalog.models import Product
from lookout.catalog.search import search_products
from lookout.catalog.tests import factories


@pytest.fixture
def product_admin():
    return site._registry[Product]


@pytest.fixture
def request_():
    return RequestFactory().post("/admin/catalog/product/")


def _bumped(capture, action) -> bool:
    """Whether `action` moves the shared generation once its transaction commits."""
    before = page_cache.generation()
    with capture(execute=True):
        action()
    return page_cache.generation() != before


@pytest.mark.django_db
def test_saving_a_product_in_the_admin_bumps_the_generation_and_reindexes(
    product_admin, request_, django_capture_on_commit_callbacks
):
    # given a product edited through the admin form
    product = factories.product(name="Kestrel Mini S2")
    data = {f: getattr(product, f) for f in ProductForm.Meta.fields if f != "works_with"}
    data.update(category=product.category.pk, name="Kestrel Mini S9", works_with=[])
    form = ProductForm(data=data, instance=product)
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    # when the admin saves it, then its related links
    assert _bumped(
        django_capture_on_commit_callbacks,
        lambda: product_admin.save_model(request_, obj, form, True),
    )
    assert _bumped(
        django_capture_on_commit_callbacks,
        lambda: product_admin.save_related(request_, form, [], True),
    )
    # then the new name is searchable
    assert [p.name for p in search_products(query="S9").products] == ["Kestrel Mini S9"]


@pytest.mark.django_db
def test_deleting_products_in_the_admin_bumps_the_generation_and_unindexes(
    product_admin, request_, django_capture_on_commit_callbacks
):
    # given three products of one brand
    one, two, three = (factories.product(brand="Osprey") for _ in range(3))
    # when one is deleted on its page and two with the "delete selected" action
    assert _bumped(
        django_capture_on_commit_callbacks, lambda: product_admin.delete_model(request_, one)
    )
    assert _bumped(
        django_capture_on_commit_callbacks,
        lambda: product_admin.delete_queryset(
            request_, Product.objects.filter(pk__in=[two.pk, three.pk])
        ),
    )
    # then none is found or counted any more
    result = search_products(query="osprey")
    assert (result.products, result.total) == ([], 0)
