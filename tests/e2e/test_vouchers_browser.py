"""A guest with every cookie blocked buys with a discount code in real Chromium, on a real
granian server with the sandbox processor (the harness of tests/e2e/test_checkout_browser.py):
a wrong code is refused with its reason, the right one shows the discount line and the new
total on the cart and checkout pages, the processor charges the discounted total, and the
confirmation names the code. On a 390 px phone the code box fits the screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    PHONE,
    _lookout,
)
from tests.e2e.test_checkout_browser import _fill_delivery, _pay, shop_url  # noqa: F401

pytestmark = pytest.mark.browser

MINUS = "\N{MINUS SIGN}"


def _make_code(env: dict[str, str]) -> None:
    _lookout(
        env,
        "shell",
        "-c",
        "from lookout.vouchers.models import Voucher; "
        "Voucher.objects.get_or_create(code='BROWSER10', "
        "defaults={'percent': 10, 'usage_limit': None})",
    )


def _paid_orders(env: dict[str, str]) -> list[str]:
    code = (
        "from lookout.orders.models import Order; "
        "print([(o.voucher_code, str(o.subtotal), str(o.discount), str(o.total)) "
        "for o in Order.objects.filter(status='paid', voucher_code='BROWSER10')])"
    )
    return [_lookout(env, "shell", "-c", code).stdout.strip()]


def _money(text: str) -> str:
    found = re.search(r"\$([0-9,]+\.[0-9]{2})", text)
    assert found, text
    return found[1].replace(",", "")


def _cart_with_a_camera(page: Page, url: str) -> str:
    page.goto(url + "/c/outdoor-cameras/")
    page.locator(".card:has(.stock.in) .card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    # the token's address when cookies are blocked; /cart/ when the cart cookie holds the cart
    token = re.search(r"/cart/([A-Za-z0-9_-]{43})/", page.url)
    assert token or page.url == url + "/cart/", page.url
    return token[1] if token else ""


def test_a_guest_buys_with_a_discount_code(
    shop_url,  # noqa: F811
    cookie_blocking_context,
    screenshots_dir: Path,
) -> None:
    url, env = shop_url
    _make_code(env)
    page = cookie_blocking_context.new_page()
    token = _cart_with_a_camera(page, url)
    before = _money(page.locator("#cart-total").inner_text())
    # a wrong code is refused with its reason, and nothing changes
    page.get_by_label("Discount code").fill("NOSUCHCODE")
    page.get_by_label("Discount code").press("Enter")  # the keyboard alone applies it
    expect(page.locator(".notice.error")).to_contain_text("We do not know that discount code.")
    assert _money(page.locator("#cart-total").inner_text()) == before
    # the right one, typed in lower case, shows the discount line and the new total
    page.get_by_label("Discount code").fill("browser10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#discount-line")).to_contain_text("Code BROWSER10 (10% off)")
    total = _money(page.locator("#cart-total").inner_text())
    off = _money(page.locator("#discount-line").inner_text())
    assert f"{MINUS}$" in page.locator("#discount-line").inner_text()
    assert float(total) < float(before) and round(float(before) - float(off), 2) == float(total)
    page.screenshot(path=str(screenshots_dir / "voucher-cart.png"), full_page=True)
    # the checkout shows it too, and the button names the discounted total
    page.goto(f"{url}/checkout/{token}/?country=GB")
    expect(page.locator("#discount-line")).to_contain_text("BROWSER10")
    expect(page.locator("#order-total")).to_have_text(f"${total}")
    _fill_delivery(page)
    expect(
        page.get_by_role("button", name=re.compile(rf"Place order and pay \${total}"))
    ).to_be_visible()
    _pay(page, "4242 4242 4242 4242")
    expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
    expect(page.locator("#discount-line")).to_contain_text(f"Code BROWSER10: {MINUS}${off}")
    page.screenshot(path=str(screenshots_dir / "voucher-paid.png"), full_page=True)
    assert cookie_blocking_context.cookies() == []
    (placed,) = _paid_orders(env)
    assert f"'BROWSER10', '{before}', '{off}', '{total}'" in placed


def test_the_code_box_fits_a_phone(shop_url, browser) -> None:  # noqa: F811
    url, env = shop_url
    _make_code(env)
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        _cart_with_a_camera(page, url)
        page.get_by_label("Discount code").fill("BROWSER10")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("#discount-line")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        box = page.locator("#voucher-box").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()
