"""The storefront page cache: shared between anonymous visitors, yet never one visitor's cart
token or a replayed CSP nonce in another's page, per consent state, invalidated on change."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from lookout.accounts.services import create_account
from lookout.cart.services import open_cart
from lookout.catalog import cache as page_cache
from lookout.catalog.models import MAX_PER_LINE
from lookout.catalog.services import upsert_product
from lookout.catalog.tests import factories
from lookout.consent.cookies import CONSENT_COOKIE
from lookout.consent.models import ConsentReceipt
from lookout.consent.services import cookie_value

NONCE = re.compile(r'nonce="([^"]+)"')


@pytest.fixture
def cached(settings):
    """The page cache on, reading the shared generation on every request (as a second server
    process would see it after its poll interval)."""
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 0
    page_cache.local.clear()
    yield
    page_cache.local.clear()


def _raw_entries() -> list[str]:
    """Every cached page, as stored (str of the pickled value's parts)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM lookout_cache")
        rows = [r[0] for r in cursor.fetchall()]
    import base64
    import pickle

    return [str(pickle.loads(base64.b64decode(v))) for v in rows]  # noqa: S301 our own rows


@pytest.mark.commitment("C7.4", "C2.6")
@pytest.mark.django_db
def test_visitor_b_never_sees_visitor_a_cart_token(cached):
    # given a product page that visitor A opened with their cart token (so it is cached)
    item = factories.product()
    _, token_a = open_cart()
    _, token_b = open_cart()
    first = Client().get(item.get_absolute_url(), {"cart": token_a})
    assert first["X-Page-Cache"] == "miss" and token_a in first.content.decode()
    # when visitor B opens the same page with their own token, and visitor C with none
    second = Client().get(item.get_absolute_url(), {"cart": token_b})
    third = Client().get(item.get_absolute_url())
    # then B is served from the cache, with B's token in the links and never A's
    assert second["X-Page-Cache"] == "hit"
    body_b = second.content.decode()
    assert token_b in body_b and token_a not in body_b
    assert f"/cart/{token_b}/" in body_b or f"cart={token_b}" in body_b
    # and C sees no cart token at all
    body_c = third.content.decode()
    assert token_a not in body_c and token_b not in body_c
    # and the stored entries hold no token at all
    stored = _raw_entries()
    assert stored and not any(token_a in s or token_b in s for s in stored)


@pytest.mark.commitment("C4.1")
@pytest.mark.django_db
def test_cached_page_carries_a_fresh_nonce_matching_its_csp_header(cached):
    # given a category page served once (and so cached)
    factories.product()
    url = "/c/outdoor-cameras/"
    first = Client().get(url)
    # when it is served again from the cache
    second = Client().get(url)
    assert second["X-Page-Cache"] == "hit"
    # then its nonce is new, used throughout the page, and the one its CSP header allows
    nonces_1 = set(NONCE.findall(first.content.decode()))
    nonces_2 = set(NONCE.findall(second.content.decode()))
    assert len(nonces_1) == 1 and len(nonces_2) == 1 and nonces_1 != nonces_2
    (nonce,) = nonces_2
    assert f"'nonce-{nonce}'" in second["Content-Security-Policy"]
    assert not any(n in s for s in _raw_entries() for n in nonces_1)


@pytest.mark.commitment("C7.4")
@pytest.mark.django_db
def test_consent_state_is_part_of_the_variant(cached):
    # given a page cached for a visitor who has not chosen yet (the banner shows)
    factories.product()
    url = "/c/outdoor-cameras/"
    undecided = Client().get(url)
    assert 'id="consent-banner"' in undecided.content.decode()
    # when a visitor who rejected everything opens it
    decided = Client()
    decided.cookies[CONSENT_COOKIE] = cookie_value(receipt=ConsentReceipt())
    response = decided.get(url)
    # then they get their own variant, without the banner, and the same prices
    assert response["X-Page-Cache"] == "miss"
    assert 'id="consent-banner"' not in response.content.decode()
    # and an undecided visitor still gets the banner, from the cache
    again = Client().get(url)
    assert again["X-Page-Cache"] == "hit" and 'id="consent-banner"' in again.content.decode()
    # and a visitor sending Global Privacy Control gets the GPC variant, not a cached one
    gpc = Client().get(url, headers={"Sec-GPC": "1"})
    assert gpc["X-Page-Cache"] == "miss"


@pytest.mark.commitment("C2.6")
@pytest.mark.django_db
def test_signed_in_customer_is_never_served_a_cached_page(cached):
    # given a cached category page
    factories.product()
    url = "/c/outdoor-cameras/"
    Client().get(url)
    assert Client().get(url)["X-Page-Cache"] == "hit"
    # when a signed-in customer opens it
    user = create_account(email="cache.reader@example.com", password="a-long-passphrase-1")
    client = Client()
    client.force_login(user)
    response = client.get(url)
    # then the view renders it for them (their header) and nothing of theirs is stored
    assert "X-Page-Cache" not in response
    assert "Your account" in response.content.decode()
    assert not any("Your account" in s for s in _raw_entries())


@pytest.mark.django_db
def test_price_change_through_the_service_invalidates_cached_pages(
    cached, django_capture_on_commit_callbacks
):
    # given a product page cached with its price
    item = factories.product()
    assert "$80.00" in Client().get(item.get_absolute_url()).content.decode()
    assert Client().get(item.get_absolute_url())["X-Page-Cache"] == "hit"
    # when the catalog manager lowers the price (after commit)
    with django_capture_on_commit_callbacks(execute=True):
        upsert_product(
            sku=item.sku, list_price=Decimal("100.00"), price=Decimal("70.00"), slug=item.slug
        )
    # then the next visitor sees the new price
    response = Client().get(item.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert "$70.00" in response.content.decode() and "$80.00" not in response.content.decode()


@pytest.mark.django_db
def test_an_order_drops_cached_pages_because_they_show_stock(
    cached, django_capture_on_commit_callbacks
):
    # given a cached product page
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart

    item = factories.product(stock=3)
    Client().get(item.get_absolute_url())
    before = page_cache.generation()
    # when an order takes one off the shelf
    cart, _ = make_cart(item, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        place_order(cart=cart, delivery=details(), idempotency_key="cache-test-1", user=None)
    # then the generation moved on and the page is rendered afresh with the new stock
    assert page_cache.generation() != before
    response = Client().get(item.get_absolute_url())
    assert response["X-Page-Cache"] == "miss" and 'max="2"' in response.content.decode()


@pytest.mark.django_db
def test_a_sale_that_leaves_plenty_on_the_shelf_keeps_the_cached_pages(
    cached, django_capture_on_commit_callbacks
):
    # given a cached product page of a product with far more in stock than a cart line can take
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart

    item = factories.product(stock=500)
    first = Client().get(item.get_absolute_url()).content.decode()
    before = page_cache.generation()
    # when an order takes some off the shelf
    cart, _ = make_cart(item, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        place_order(cart=cart, delivery=details(), idempotency_key="cache-test-2", user=None)
    # then the page would read the same, so the cache is kept, and what it shows is still true
    assert page_cache.generation() == before
    response = Client().get(item.get_absolute_url())
    assert response["X-Page-Cache"] == "hit"
    assert f'max="{MAX_PER_LINE}"' in first
    assert f'max="{MAX_PER_LINE}"' in response.content.decode()


@pytest.mark.django_db
def test_a_sale_that_brings_stock_under_the_line_limit_drops_the_pages(
    cached, django_capture_on_commit_callbacks
):
    # given a cached page of a product with one more in stock than a line may take
    from lookout.orders.services import place_order
    from lookout.orders.testing import details, make_cart

    item = factories.product(stock=MAX_PER_LINE + 1)
    Client().get(item.get_absolute_url())
    # when an order of 3 leaves two under the line limit
    cart, _ = make_cart(item, quantity=3)
    with django_capture_on_commit_callbacks(execute=True):
        place_order(cart=cart, delivery=details(), idempotency_key="cache-test-3", user=None)
    # then the page is rendered afresh offering at most what is left
    response = Client().get(item.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert f'max="{MAX_PER_LINE - 2}"' in response.content.decode()


@pytest.mark.django_db
def test_unknown_parameters_and_sessions_bypass_the_cache(cached):
    # given a category page
    factories.product()
    # when it is asked with a junk parameter, or by a visitor with a session cookie
    junk = Client().get("/c/outdoor-cameras/", {"utm_x": "1"})
    with_session = Client()
    with_session.cookies["lookout_session"] = "anything"
    session = with_session.get("/c/outdoor-cameras/")
    # then neither is served from nor stored in the cache
    assert "X-Page-Cache" not in junk and "X-Page-Cache" not in session
    assert cache.get(page_cache.GENERATION_KEY) is None


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_through_the_shared_generation(cached):
    # given a page held in this process's local level
    item = factories.product()
    Client().get(item.get_absolute_url())
    assert Client().get(item.get_absolute_url())["X-Page-Cache"] == "hit"
    # when another server process bumps the shared generation (not this process's local copy)
    page_cache._cache().incr(page_cache.GENERATION_KEY)
    # then the next request here is rendered afresh
    assert Client().get(item.get_absolute_url())["X-Page-Cache"] == "miss"
