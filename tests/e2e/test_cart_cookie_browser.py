"""A cart that survives (issue 22, item 5), in Chromium against the real server.

With cookies on, the cart lives in the strictly necessary cart cookie: a new tab, or the shop's
address typed again, still finds it, and no address or link on any page carries the cart's token
(a link copied from the address bar hands nobody the cart). With every cookie blocked the token
rides in the links as before, and the cart still works (C7.4).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from lookout.core.tokens import CART_COOKIE
from tests.e2e.conftest import DESKTOP

pytestmark = pytest.mark.browser
TOKEN = re.compile(r"(?:^|/cart/|/checkout/|cart=)[A-Za-z0-9_-]{43}(?:$|/|&)")  # a cart token


def _add_first_in_stock(page: Page, site: str, category: str) -> None:
    page.goto(site + category)
    page.locator(".card:has(.stock.in) .card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def _links_and_forms(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "a[href], form[action], [hx-post], [hx-get], input[name=cart]",
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('action')"
        " || e.getAttribute('hx-post') || e.getAttribute('hx-get') || e.value || '')",
    )


def _lines(page: Page) -> int:
    return page.locator("form.qty-form").count()


@pytest.mark.commitment("C7.4")
def test_with_cookies_on_a_new_tab_keeps_the_cart_and_no_address_carries_its_token(
    live_server_url, browser
):
    site = live_server_url
    context: BrowserContext = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    # given a visitor who puts a product in a new cart
    _add_first_in_stock(page, site, "/c/indoor-cameras/")
    # then the cart lives in the cart cookie (HttpOnly, Lax) and the address bar holds no token
    jar = {c["name"]: c for c in context.cookies()}
    assert CART_COOKIE in jar and jar[CART_COOKIE]["httpOnly"]
    assert jar[CART_COOKIE]["sameSite"] == "Lax"
    token = jar[CART_COOKIE]["value"]
    assert page.url == site + "/cart/"
    assert not any(token in target for target in _links_and_forms(page))
    # when they add a second product from another page of the shop (no token anywhere)
    _add_first_in_stock(page, site, "/c/smart-locks/")
    assert page.url == site + "/cart/" and _lines(page) == 2
    for path in ["/", "/c/outdoor-cameras/", "/search/?q=camera"]:
        page.goto(site + path)
        assert token not in page.content()
        carrying = [t for t in _links_and_forms(page) if TOKEN.search(t)]
        assert not carrying, (path, carrying)
    # and open the shop's address in a new tab
    tab = context.new_page()
    tab.goto(site + "/")
    tab.get_by_role("navigation", name="Account and cart").get_by_role("link", name="Cart").click()
    # then the cart is still there, with both products, at /cart/
    expect(tab.get_by_role("heading", name="Your cart")).to_be_visible()
    assert tab.url == site + "/cart/" and _lines(tab) == 2
    # and its quantity form works at the token-free address (htmx)
    tab.get_by_label("Quantity of", exact=False).first.fill("2")
    tab.get_by_role("button", name="Update").first.click()
    tab.wait_for_load_state("networkidle")
    assert tab.url == site + "/cart/" and _lines(tab) == 2
    # and the checkout opens from it with no token in its address
    tab.get_by_role("link", name="Check out").click()
    expect(tab).to_have_url(re.compile(r"/checkout/(\?.*)?$"))
    assert token not in tab.content()
    # and a stranger who opens the copied address gets no cart
    stranger = browser.new_context(viewport=DESKTOP)
    other = stranger.new_page()
    other.goto(tab.url)
    assert token not in other.content() and _lines(other) == 0
    other.goto(site + "/cart/")
    assert _lines(other) == 0
    stranger.close()
    context.close()


@pytest.mark.commitment("C7.4")
def test_with_every_cookie_blocked_the_token_rides_in_the_links_and_the_cart_works(
    live_server_url, cookie_blocking_context
):
    site = live_server_url
    page = cookie_blocking_context.new_page()
    # given a visitor whose browser blocks every cookie
    _add_first_in_stock(page, site, "/c/indoor-cameras/")
    # then the cart's address carries its token, and so do the shop's links
    match = re.search(r"/cart/([A-Za-z0-9_-]{43})/$", page.url)
    assert match, page.url
    token = match.group(1)
    page.get_by_role("link", name="Lookout home").click()
    assert any(token in target for target in _links_and_forms(page))
    # when they add a second product and change a quantity
    page.get_by_role("navigation", name="Categories").get_by_role(
        "link", name="Smart locks"
    ).click()
    page.locator(".card:has(.stock.in) .card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    assert page.url.endswith(f"/cart/{token}/") and _lines(page) == 2
    page.get_by_label("Quantity of", exact=False).first.fill("2")
    page.get_by_role("button", name="Update").first.click()
    page.wait_for_load_state("networkidle")
    # then the same cart holds both, the checkout opens at its token's address, no cookie kept
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(re.compile(rf"/checkout/{token}/"))
    assert cookie_blocking_context.cookies() == []
