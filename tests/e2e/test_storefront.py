"""A shopper in a real Chromium against the real server (see conftest.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE

# In the SQLite pass of `make test` (a site of its own whatever the pass): the PostgreSQL pass
# has the longer share of the other work (root conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]


def _usd(text: str) -> Decimal:
    return Decimal(text.strip().lstrip("$").replace(",", ""))


def _prices(page: Page) -> dict[str, Decimal]:
    """Price per SKU shown on the page (cards and product header)."""
    # One read of the whole page in the browser: element by element, a page still being
    # replaced (a search just submitted) could drop an element between two reads.
    pairs = page.locator(".price .now[data-sku]").evaluate_all(
        "els => els.map(e => [e.dataset.sku || '', e.innerText])"
    )
    return {sku: _usd(text) for sku, text in pairs}


def _watch(page: Page, problems: list[str]) -> None:
    """Record any Set-Cookie header and any CSP violation the browser reports."""

    def on_response(response):
        if "set-cookie" in response.headers:
            problems.append(f"Set-Cookie from {response.url}")
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    def on_console(message):
        if "Content Security Policy" in message.text or (
            message.type == "error" and "Failed to load resource" not in message.text
        ):
            problems.append(f"console {message.type}: {message.text}")

    page.on("response", on_response)
    page.on("console", on_console)


def _add_first_in_stock(page: Page, quantity: int) -> tuple[str, Decimal]:
    page.locator(".card:has(.stock.in) .card-link").first.click()
    sku = page.locator(".product-info .now").get_attribute("data-sku") or ""
    price = _usd(page.locator(".product-info .now").inner_text())
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    return sku, price


@pytest.mark.commitment("C2.6", "C7.4", "C1.2")
def test_shopper_with_all_cookies_blocked_browses_compares_and_fills_a_cart(
    live_server_url, cookie_blocking_context, browser
):
    page = cookie_blocking_context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    seen: dict[str, Decimal] = {}
    # given a visitor whose browser blocks every cookie
    page.goto(live_server_url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Home security")
    # when they open a category and filter it
    page.get_by_role("navigation", name="Categories").get_by_role(
        "link", name="Outdoor cameras"
    ).click()
    expect(page.get_by_role("heading", name="Outdoor cameras", level=1)).to_be_visible()
    seen |= _prices(page)
    page.get_by_label("Max").fill("200")
    page.get_by_label("In stock only").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"max_price=200"))
    page.wait_for_load_state("networkidle")
    filtered = _prices(page)
    assert filtered and all(price <= 200 for price in filtered.values())
    seen |= filtered
    # ... search by brand ...
    page.get_by_role("searchbox", name="Search products").fill("Kestrel")
    page.get_by_role("searchbox", name="Search products").press("Enter")
    # the results page has loaded (the category page had a result count too)
    expect(page).to_have_url(re.compile(r"/search/\?(.*&)?q=Kestrel"))
    page.wait_for_load_state("networkidle")
    expect(page.locator(".count")).to_contain_text("result")
    brands = page.locator(".card .card-brand").all_inner_texts()
    assert brands and {b.strip().lower() for b in brands} == {"kestrel"}
    seen |= _prices(page)
    # ... compare two results ...
    boxes = page.get_by_role("checkbox", name="Compare")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name=re.compile("Compare selected")).click()
    expect(page.get_by_role("heading", name="Compare products")).to_be_visible()
    assert page.locator(".compare-table thead th").count() == 2
    # ... and fill a cart from two categories, carried in the URL only
    page.goto(live_server_url + "/c/indoor-cameras/")
    first_sku, first_price = _add_first_in_stock(page, 2)
    cart_url = page.url
    page.get_by_role("link", name="Continue shopping").click()
    page.get_by_role("navigation", name="Categories").get_by_role(
        "link", name="Smart locks"
    ).click()
    second_sku, second_price = _add_first_in_stock(page, 1)
    # then the cart shows both lines and the exact USD total with free shipping
    assert page.url == cart_url
    expected = first_price * 2 + second_price
    expect(page.locator("#cart-total")).to_have_text(f"${expected:,.2f}")
    expect(page.locator(".totals")).to_contain_text("Free")
    # ... changing a quantity (htmx) updates the total in place
    page.get_by_label(re.compile("Quantity of")).first.fill("1")
    page.get_by_role("button", name="Update").first.click()
    expect(page.locator("#cart-total")).to_have_text(f"${first_price + second_price:,.2f}")
    seen |= {first_sku: first_price, second_sku: second_price}
    # ... the browser holds no cookie, none was offered, and nothing broke the CSP
    assert cookie_blocking_context.cookies() == []
    assert problems == []
    # and a visitor who allows cookies sees exactly the same prices
    allowing = browser.new_context(viewport=DESKTOP)
    other = allowing.new_page()
    other_seen: dict[str, Decimal] = {}
    for path in [
        "/c/outdoor-cameras/",
        "/c/outdoor-cameras/?max_price=200&in_stock=on",
        "/search/?q=Kestrel",
        "/c/indoor-cameras/",
        "/c/smart-locks/",
    ]:
        other.goto(live_server_url + path)
        other_seen |= _prices(other)
    for sku in (first_sku, second_sku):
        assert sku in other_seen
    assert {sku: other_seen[sku] for sku in seen if sku in other_seen} == {
        sku: seen[sku] for sku in seen if sku in other_seen
    }
    assert len(set(seen) & set(other_seen)) >= 10
    allowing.close()


@pytest.mark.commitment("C2.6")
def test_screenshots_of_home_category_product_and_cart(live_server_url, browser, screenshots_dir):
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(live_server_url + "/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshots_dir / f"home-{label}.png", full_page=True)
        page.goto(live_server_url + "/c/outdoor-cameras/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshots_dir / f"category-{label}.png", full_page=True)
        _add_first_in_stock(page, 1)
        page.goto(page.url)  # the cart, reloaded from its own address
        page.get_by_role("link", name="Continue shopping").click()
        page.get_by_role("navigation", name="Categories").get_by_role(
            "link", name="Video doorbells"
        ).click()
        page.locator(".card:has(.stock.in) .card-link").first.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshots_dir / f"product-{label}.png", full_page=True)
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("#cart-total")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshots_dir / f"cart-{label}.png", full_page=True)
        context.close()
    for name in ("home", "category", "product", "cart"):
        for label in ("desktop", "phone"):
            assert (screenshots_dir / f"{name}-{label}.png").stat().st_size > 10_000


def test_bad_input_in_the_browser_gets_a_friendly_page(live_server_url, browser):
    context = browser.new_context()
    page = context.new_page()
    for path, status in [
        ("/p/no-such-thing/", 404),
        ("/c/outdoor-cameras/?min_price=abc", 400),
        ("/cart/" + "Z" * 43 + "/", 404),
        ("/search/?q=" + "x" * 300, 400),
    ]:
        response = page.goto(live_server_url + path)
        assert response is not None and response.status == status
        expect(page.locator("footer")).to_contain_text("Privacy Policy")
    context.close()


def test_api_docs_render_under_the_strict_csp(live_server_url, browser):
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(live_server_url + "/static/ninja/swagger-ui-bundle.js")  # noqa: S310
    except urllib.error.HTTPError:
        pytest.skip("ninja's static files are not served ('ninja' not in INSTALLED_APPS yet)")
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    page.goto(live_server_url + "/api/v1/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Lookout API")
    assert [p for p in problems if "Content Security Policy" in p] == []
    context.close()
