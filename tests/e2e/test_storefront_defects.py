"""Storefront defects found in a review (issue 22, item 4), each in a real Chromium against the
real server: filters that can be unticked, a checkout country that takes effect when chosen,
comparing one product too many, a favicon, the cookie banner with cookies blocked, the first
screen of a phone, and a Japanese postal code of another prefecture named as such."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE

# In the SQLite pass of `make test` (a site of its own whatever the pass): the PostgreSQL pass
# has the longer share of the other work (root conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]


def test_a_ticked_filter_can_be_unticked_and_the_address_does_not_grow(live_server_url, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(live_server_url + "/c/outdoor-cameras/")
    everything = page.locator(".count").inner_text()
    stock = page.get_by_label("In stock only")
    # when a filter is ticked
    stock.check()
    expect(page).to_have_url(re.compile(r"in_stock=on"))
    page.wait_for_load_state("networkidle")
    # and unticked again
    stock.uncheck()
    expect(page).not_to_have_url(re.compile(r"in_stock=on"))
    page.wait_for_load_state("networkidle")
    expect(page.locator(".count")).to_have_text(everything)
    # and another one changed, the address names each filter once
    page.get_by_label("On sale").check()
    expect(page).to_have_url(re.compile(r"on_sale=on"))
    assert page.url.count("sort=") == 1
    assert "in_stock" not in page.url
    page.reload()
    expect(page.get_by_label("In stock only")).not_to_be_checked()
    context.close()


def _to_checkout(page, live_server_url: str) -> None:
    page.goto(live_server_url + "/c/indoor-cameras/")
    page.locator(".card:has(.stock.in) .card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()


def test_choosing_a_checkout_country_takes_effect_at_once(live_server_url, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _to_checkout(page, live_server_url)
    expect(page.locator("#delivery-h ~ form p strong").first).to_have_text(
        re.compile("United States")
    )
    # when the buyer picks the United Kingdom, and presses nothing else
    page.get_by_label("Destination country").select_option("GB")
    # then the address form is the UK's: a UK postcode is checked against UK rules
    expect(page.get_by_text(re.compile("Delivering to United Kingdom"))).to_be_visible()
    expect(page.get_by_label("Post town", exact=False)).to_be_visible()
    assert page.locator('#delivery-form input[name="country"]').input_value() == "GB"
    context.close()


def test_comparing_five_products_shows_the_first_four(live_server_url, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(live_server_url + "/c/outdoor-cameras/")
    boxes = page.get_by_role("checkbox", name="Compare")
    for n in range(5):
        boxes.nth(n).check()
    with page.expect_response(re.compile(r"/compare/")) as answer:
        page.get_by_role("button", name=re.compile("Compare selected")).click()
    assert answer.value.status == 200
    expect(page.get_by_role("heading", name="Compare products")).to_be_visible()
    assert page.locator(".compare-table thead th").count() == 4
    expect(page.get_by_role("alert")).to_contain_text("up to 4 products")
    context.close()


def test_the_site_has_a_favicon_where_browsers_look(live_server_url, browser):
    with urllib.request.urlopen(live_server_url + "/favicon.ico", timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
        assert answer.headers.get_content_type() == "image/svg+xml"
        assert b"<svg" in answer.read()
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server_url + "/")
    icon = page.locator('link[rel="icon"]').get_attribute("href") or ""
    assert page.request.get(live_server_url + icon).status == 200
    context.close()


def test_with_cookies_blocked_the_banner_does_not_come_back_on_every_page(
    live_server_url, cookie_blocking_context
):
    page = cookie_blocking_context.new_page()
    for path in ("/", "/c/indoor-cameras/", "/search/?q=camera"):
        page.goto(live_server_url + path)
        expect(page.locator("#consent-banner")).to_be_hidden()
    # the footer still says how cookies are used
    expect(page.get_by_role("link", name="Cookie settings")).to_be_visible()
    assert cookie_blocking_context.cookies() == []


def test_on_a_phone_the_products_are_on_the_first_screen(live_server_url, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server_url + "/c/outdoor-cameras/")
    page.wait_for_load_state("networkidle")
    banner = page.locator("#consent-banner").bounding_box()
    assert banner is not None and banner["height"] <= PHONE["height"] * 0.4
    expect(page.get_by_role("heading", name="Outdoor cameras", level=1)).to_be_in_viewport()
    first = page.locator(".card").first.bounding_box()
    assert first is not None and first["y"] < PHONE["height"] * 0.75
    # the folded filter panel opens with its summary
    page.get_by_text("Filter", exact=True).click()
    expect(page.get_by_label("In stock only")).to_be_visible()
    context.close()


CSP_WATCH = (
    "document.addEventListener('securitypolicyviolation', e => "
    "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
)


def test_updating_the_cart_breaks_no_content_security_policy(live_server_url, browser):
    """Reported in issue 22 as a CSP error on each cart update; not reproduced in Chromium, so
    this watches the violation events themselves, on a desktop and a phone."""
    problems: list[str] = []
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if "CSP" in m.text else None)
        page.goto(live_server_url + "/c/indoor-cameras/")
        page.locator(".card:has(.stock.in) .card-link").first.click()
        page.get_by_role("button", name="Add to cart").click()
        for quantity in ("2", "3", "1"):
            page.get_by_label(re.compile("Quantity of")).first.fill(quantity)
            with page.expect_response(re.compile(r"/cart/(.+/)?update/")) as answer:
                page.get_by_role("button", name="Update").first.click()
            assert answer.value.status == 200
        page.get_by_role("button", name=re.compile("Remove")).first.click()
        expect(page.get_by_text("Your cart is empty")).to_be_visible()
        assert problems == []
        context.close()


def test_a_japanese_postal_code_of_another_prefecture_is_named_as_such(live_server_url, browser):
    """Reported in issue 22: a Tokyo postal code with a Hokkaido address was "not valid in
    Japan", which sends a buyer hunting for a format mistake they did not make."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _to_checkout(page, live_server_url)
    page.get_by_label("Destination country").select_option("JP")
    expect(page.get_by_text(re.compile("Delivering to Japan"))).to_be_visible()
    page.get_by_label("Recipient's name").fill("Test Buyer")
    page.get_by_label("Street address").fill("1-1 Kita 1-jo, Sapporo")
    page.get_by_label("Prefecture").select_option("北海道")  # Hokkaido
    page.get_by_label("Postal code").fill("100-0001")  # Chiyoda, Tokyo
    page.get_by_label("Email for order updates").fill("buyer@example.com")
    page.locator("#place-order").click()
    # then the message says what is wrong, under the postal code
    error = page.locator("#id_postal_code_error")
    expect(error).to_contain_text("does not match the prefecture")
    expect(page.locator("#delivery-form")).not_to_contain_text("not valid in Japan")
    assert "id_postal_code_error" in (
        page.get_by_label("Postal code").get_attribute("aria-describedby") or ""
    )
    context.close()
