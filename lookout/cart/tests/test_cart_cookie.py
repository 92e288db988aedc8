"""The cart's cookie path (issue 22, item 5): a browser that keeps cookies holds its cart in the
strictly necessary cart cookie, and no address or link carries the cart's token; the page cache
stays shared (and free of any cart) for such visitors. The link path, for a browser that keeps
no cookie, is in test_views.py."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lookout.cart.models import Cart, CartLine
from lookout.cart.services import add_to_cart, open_cart
from lookout.catalog import cache as page_cache
from lookout.catalog.tests import factories
from lookout.consent.cookies import by_name
from lookout.core.tokens import CART_COOKIE

NONCE = re.compile(r'nonce="[^"]+"')


def _add(client: Client, sku: str, quantity: str = "1", **headers: str):
    return client.post("/cart/add/", {"sku": sku, "quantity": quantity}, headers=headers)


@pytest.mark.commitment("C7.4")
@pytest.mark.django_db
def test_first_add_puts_the_cart_in_a_strictly_necessary_cookie_and_the_address_drops_the_token():
    browser = Client()
    item = factories.product(price="19.99", list_price="19.99")
    # when a visitor whose browser keeps cookies puts a product in a new cart
    added = _add(browser, item.sku, "2")
    token = added["Location"].split("/")[2]
    # then the cart cookie is set: HttpOnly, SameSite=Lax, a session cookie (the policy lets
    # only the cookie choice and analytics outlast the browser)
    morsel = added.cookies[CART_COOKIE]
    assert morsel.value == token
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert morsel["max-age"] == "" and morsel["expires"] == ""
    # and the token's address, reached with the cookie, moves to /cart/
    moved = browser.get(added["Location"])
    assert moved.status_code == 302 and moved["Location"] == "/cart/"
    page = browser.get("/cart/")
    body = page.content.decode()
    assert page.status_code == 200 and "$39.98" in body
    # and nothing on the page carries the token: the forms post to token-free addresses
    assert token not in body
    assert 'action="/cart/update/"' in body and 'href="/checkout/"' in body


@pytest.mark.django_db
def test_a_new_tab_or_typed_address_keeps_the_cart_and_later_adds_fill_the_same_one():
    browser = Client()
    a, b = factories.product(), factories.product()
    token = _add(browser, a.sku)["Location"].split("/")[2]
    # when the visitor, in a new tab, types the shop's address and adds another product
    home = browser.get("/")
    again = _add(browser, b.sku)
    # then no link on the shop page carries the token, and the second add fills the same cart
    assert token not in home.content.decode()
    assert again["Location"] == "/cart/"
    cart = Cart.objects.get()
    assert set(CartLine.objects.filter(cart=cart).values_list("product__sku", flat=True)) == {
        a.sku,
        b.sku,
    }
    assert b.sku in browser.get("/cart/").content.decode()


@pytest.mark.django_db
def test_updates_and_vouchers_at_token_free_addresses_use_the_cookie_and_refuse_without_it():
    browser = Client()
    item = factories.product()
    _add(browser, item.sku, "3")
    # the quantity form (htmx and plain) works at /cart/update/
    fragment = browser.post(
        "/cart/update/", {"sku": item.sku, "quantity": "1"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and 'id="cart"' in fragment.content.decode()
    assert CartLine.objects.get().quantity == 1
    plain = browser.post("/cart/update/", {"sku": item.sku, "quantity": "2"})
    assert plain.status_code == 302 and plain["Location"] == "/cart/"
    unknown = browser.post("/cart/voucher/", {"code": "NOSUCHCODE"})
    assert unknown.status_code == 404 and "/cart/voucher/" in unknown.content.decode()
    # a visitor without the cookie has no cart at those addresses: a 404 page that says so
    stranger = Client().post("/cart/update/", {"sku": item.sku, "quantity": "0"})
    assert stranger.status_code == 404 and "could not find that cart" in stranger.content.decode()
    assert CartLine.objects.get().quantity == 2


@pytest.mark.django_db
def test_checkout_at_its_token_free_address_and_its_token_address_moves_there():
    browser = Client()
    item = factories.product()
    token = _add(browser, item.sku)["Location"].split("/")[2]
    moved = browser.get(f"/checkout/{token}/?country=GB")
    assert moved.status_code == 302 and moved["Location"] == "/checkout/?country=GB"
    page = browser.get("/checkout/?country=GB")
    body = page.content.decode()
    assert page.status_code == 200 and token not in body
    assert 'action="/checkout/"' in body and 'href="/cart/"' in body
    # without the cookie the token-free checkout finds no cart
    assert Client().get("/checkout/").status_code == 404


@pytest.mark.django_db
def test_someone_elses_cart_link_neither_replaces_the_cookie_nor_loses_its_token():
    browser = Client()
    item = factories.product()
    mine = _add(browser, item.sku)["Location"].split("/")[2]
    their_cart, theirs = open_cart()
    add_to_cart(cart=their_cart, sku=item.sku)
    # when the visitor opens a cart link made by a browser that keeps no cookie
    page = browser.get(f"/cart/{theirs}/")
    # then that cart shows at its token's address, its forms carry its token, and the
    # visitor's own cart stays in the cookie
    assert page.status_code == 200 and f"/cart/{theirs}/update/" in page.content.decode()
    assert CART_COOKIE not in page.cookies
    assert browser.cookies[CART_COOKIE].value == mine


@pytest.mark.django_db
def test_a_form_posted_from_another_site_never_replaces_the_cart_cookie():
    browser = Client()
    item = factories.product()
    forged = _add(browser, item.sku, **{"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 302 and CART_COOKIE not in forged.cookies


@pytest.mark.django_db
def test_an_expired_cart_in_the_cookie_shows_the_empty_cart_and_the_next_add_opens_a_new_one():
    browser = Client()
    item = factories.product()
    old = _add(browser, item.sku)["Location"].split("/")[2]
    Cart.objects.all().delete()  # as purge_stale_carts does after CART_RETENTION
    empty = browser.get("/cart/")
    assert empty.status_code == 200 and empty.cookies[CART_COOKIE]["max-age"] == 0
    browser.cookies[CART_COOKIE] = old  # a browser that had not dropped it yet
    renewed = _add(browser, item.sku)
    new = renewed.cookies[CART_COOKIE].value
    assert new != old and renewed["Location"] == f"/cart/{new}/"
    assert Cart.objects.count() == 1


def test_the_cart_cookie_is_in_the_inventory_as_a_strictly_necessary_session_cookie():
    spec = by_name()[CART_COOKIE]
    assert spec.category == "strictly_necessary"
    assert spec.lifetime is None


@pytest.fixture
def cached(settings):
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 3600  # a warm process: the generation is known
    page_cache.local.clear()
    yield
    page_cache.local.clear()


@pytest.mark.commitment("C7.4", "C2.6")
@pytest.mark.django_db
def test_a_cart_cookie_keeps_cached_pages_shared_and_free_of_any_cart(cached):
    item = factories.product()
    category = item.category.get_absolute_url()
    holder = Client()
    token = _add(holder, item.sku)["Location"].split("/")[2]
    # given the category and product pages cached by a visitor without any cart
    for url in (category, item.get_absolute_url()):
        assert Client().get(url)["X-Page-Cache"] == "miss"
    # when the visitor whose cart is in the cookie opens them
    with CaptureQueriesContext(connection) as queries:
        served = [holder.get(url) for url in (category, item.get_absolute_url())]
    # then both come from the cache, with no query at all, and hold no token
    assert [r["X-Page-Cache"] for r in served] == ["hit", "hit"]
    assert len(queries) == 0
    for response in served:
        assert token not in response.content.decode()
        assert CART_COOKIE not in response.cookies
    # and a page the holder renders first is the very page a cartless visitor gets
    item2 = factories.product()
    first = holder.get(item2.get_absolute_url())
    second = Client().get(item2.get_absolute_url())
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert token not in second.content.decode()
    assert NONCE.sub("", first.content.decode()) == NONCE.sub("", second.content.decode())


@pytest.mark.django_db
def test_a_cart_cookie_with_a_cart_token_in_the_query_bypasses_the_cache(cached):
    item = factories.product()
    holder = Client()
    token = _add(holder, item.sku)["Location"].split("/")[2]
    response = holder.get(item.get_absolute_url(), {"cart": token})
    # served by the view (no X-Page-Cache), never stored: its links may not carry the token
    assert response.status_code == 200 and not response.has_header("X-Page-Cache")
    assert Client().get(item.get_absolute_url(), {"cart": token})["X-Page-Cache"] == "miss"


@pytest.mark.django_db
def test_the_cart_cookie_is_secure_wherever_the_session_cookie_is(settings):
    item = factories.product()
    assert not _add(Client(), item.sku).cookies[CART_COOKIE]["secure"]  # development: http
    settings.SESSION_COOKIE_SECURE = True  # production (lookout/settings.py)
    assert _add(Client(), item.sku).cookies[CART_COOKIE]["secure"]
