"""A guest with every cookie blocked buys a camera end to end, through the processor's hosted
payment page, on a real granian server; a declined card shows a clear message and leaves no
paid order.

The server is the harness's (`prepare_site`: fresh SQLite, demo catalog) plus the checkout
partners (`lookout.orders.demo`) and the sandbox processor mounted at /sandbox-processor/, as
`lookout/wsgi.py` does once the payments wrapper is applied. The store reaches the processor
in-process (LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS), so the test does not depend on the port.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lookout.testing.ports import free_port
from sandbox_processor.shopper import future_expiry
from tests.e2e.conftest import BIN, ROOT, _lookout, prepare_site

# In the PostgreSQL pass of `make test` (root conftest.py): the two passes share the browser
# work (docs/testing.md).
pytestmark = pytest.mark.browser

WRAPPER = """
from lookout.wsgi import application as _store
from sandbox_processor.mount import SandboxDispatcher, mount_sandbox
application = _store if isinstance(_store, SandboxDispatcher) else mount_sandbox(_store)
"""
SETTINGS = """
from lookout.settings import *  # noqa
LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS = True
"""


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    var_dir = tmp_path_factory.mktemp("e2e-checkout")
    (var_dir / "e2e_checkout_wsgi.py").write_text(WRAPPER)
    (var_dir / "e2e_checkout_settings.py").write_text(SETTINGS)
    env = prepare_site(var_dir)
    env["PYTHONPATH"] = f"{var_dir}:{ROOT}"
    env["DJANGO_SETTINGS_MODULE"] = "e2e_checkout_settings"
    _lookout(env, "shell", "-c", "from lookout.orders import demo; demo.ensure_partners()")
    port = free_port()
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "e2e_checkout_wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError((var_dir / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield url, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _orders(env: dict[str, str]) -> str:
    code = (
        "from lookout.orders.models import Order; "
        "print(sorted((o.number, o.status) for o in Order.objects.all()))"
    )
    return _lookout(env, "shell", "-c", code).stdout.strip()


def _fill_cart_and_open_checkout(page: Page, url: str) -> None:
    page.goto(url + "/c/outdoor-cameras/")
    page.locator(".card:has(.stock.in) .card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    # The cart lives in the cart cookie (the checkout at /checkout/), or, when the browser
    # blocks cookies, in the address (the checkout at /checkout/<token>/).
    token = re.search(r"/cart/([A-Za-z0-9_-]{43})/", page.url)
    assert token or page.url == url + "/cart/", page.url
    page.goto(f"{url}/checkout/{token[1]}/?country=GB" if token else f"{url}/checkout/?country=GB")


def _fill_delivery(page: Page) -> None:
    expect(page.locator("#shipping-cost")).to_contain_text("$0.00")
    expect(page.locator("#delivery-window")).to_contain_text("business days")
    page.get_by_label("Recipient's name").fill("Grace Hopper")
    page.get_by_label("Street address").fill("10 Downing Street")
    page.get_by_label("Post town").fill("London")
    page.get_by_label("Postal code").fill("SW1A 2AA")
    page.get_by_label("Email for order updates").fill("grace.hopper@example.com")


def _pay(page: Page, card: str) -> None:
    page.get_by_role("button", name=re.compile("Place order and pay")).click()
    expect(page.get_by_label("Card number")).to_be_visible()
    assert "/sandbox-processor/pay/" in page.url
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM/YY)").fill(future_expiry())
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


@pytest.mark.commitment("C7.4", "C1.3")
def test_guest_with_cookies_blocked_buys_a_camera(
    shop_url, cookie_blocking_context, screenshots_dir: Path
) -> None:
    url, env = shop_url
    page = cookie_blocking_context.new_page()
    _fill_cart_and_open_checkout(page, url)
    _fill_delivery(page)
    page.screenshot(path=str(screenshots_dir / "checkout-form.png"), full_page=True)
    _pay(page, "4242 4242 4242 4242")
    expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
    page.screenshot(path=str(screenshots_dir / "checkout-paid.png"), full_page=True)
    assert "4242 4242" not in page.content()
    assert cookie_blocking_context.cookies() == []
    assert "'paid'" in _orders(env)


def test_declined_card_shows_a_clear_message_and_no_paid_order(
    shop_url, cookie_blocking_context
) -> None:
    url, env = shop_url
    before = _orders(env)
    page = cookie_blocking_context.new_page()
    _fill_cart_and_open_checkout(page, url)
    _fill_delivery(page)
    _pay(page, "4000 0000 0000 0002")
    expect(page.locator("#payment-message")).to_contain_text("declined")
    expect(page.locator("#back-to-cart")).to_be_visible()
    after = _orders(env)
    assert after.count("'paid'") == before.count("'paid'")
    assert "'payment_failed'" in after
