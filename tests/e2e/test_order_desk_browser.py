"""The order desk in a real Chromium against the real server (issue 20; C4.3, C4.4).

An after-sales agent of this test's own (password and an authenticator secret made here, so
their code never collides with another test's sign-in within one 30-second step) finds a
shipped guest order by number, reads its history, adds an internal note and sends the
tracking details again, using the keyboard only, on a phone-sized screen. The page is saved
in var/screenshots/order-desk-phone.png.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import BIN, PHONE, ROOT

pytestmark = pytest.mark.browser

PASSWORD = "desk-agent-long-pass-1"
AGENT = "desk.agent@example.com"
SECRET = pyotp.random_base32()

# Run by `lookout shell` in the live server's environment; prints the order number it made.
PREPARE = f"""
import json
from urllib.parse import unquote, urlsplit
from django.utils import timezone
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.catalog.models import Product
from lookout.orders.fulfilment import ship_order
from lookout.orders.payment import begin_payment, finish_payment
from lookout.orders.testing import pay_on_sandbox, place
from lookout.vault.blind_index import email_index

def staff(email, role, secret):
    user = User.objects.filter(email_index=email_index(email)).first()
    if user is None:
        user = create_account(email=email, password={PASSWORD!r}, role=role)
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user

agent = staff({AGENT!r}, "after_sales", {SECRET!r})
clerk = staff("desk.clerk@example.com", "warehouse", {pyotp.random_base32()!r})
product = Product.objects.filter(stock__gt=5).order_by("sku").first()
order = place(product)
back = pay_on_sandbox(begin_payment(order=order, return_url="/checkout/return/x/"))
ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
order, _ = finish_payment(order=order, signed_reference=unquote(ref))
ship_order(order=order, actor=clerk)
print(json.dumps({{"shipped": order.number}}))
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "LOOKOUT_VAR_DIR": str(var_dir),
        "LOOKOUT_ENV": "development",
        "LOOKOUT_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "lookout.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("KEYSTORE_DATABASE_URL", None)
    return env


@pytest.fixture(scope="module")
def desk(live_server_url: str, tmp_path_factory: pytest.TempPathFactory):
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*/lookout.sqlite3"))
    assert len(found) == 1, found
    var_dir = found[0].parent
    out = subprocess.run(
        [str(BIN / "lookout"), "shell", "-c", PREPARE],
        env=_env(var_dir), cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    return live_server_url, json.loads(out.strip().splitlines()[-1])


def _sign_in(page: Page, base: str) -> None:
    page.goto(base + "/accounts/login/?next=/staff/desk/")
    page.get_by_label("Email").fill(AGENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Continue").click()


@pytest.mark.commitment("C4.3", "C4.4")
def test_after_sales_works_an_order_from_the_desk_by_keyboard_on_a_phone(
    desk, browser, screenshots_dir: Path
) -> None:
    base, made = desk
    number = made["shipped"]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        # Given the agent signed in, on the order desk
        _sign_in(page, base)
        expect(page.get_by_role("heading", level=1)).to_have_text("Order desk")
        # When they type the order number and press Enter
        page.get_by_label("Order number").focus()
        page.keyboard.type(number.lower())
        page.keyboard.press("Enter")
        # Then the order page opens with the customer's details for after-sales
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
        expect(page.locator('#customer dd[data-field="name"]')).to_have_text("Ada Lovelace")
        expect(page.locator("#timeline")).to_contain_text("Label created")
        expect(page.locator("#timeline")).to_contain_text("Payment captured")
        # And nothing is wider than the phone's screen
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not wide
        # When they write a note and submit it from the keyboard
        page.get_by_label("Internal note", exact=False).focus()
        page.keyboard.type("Customer asked for the tracking link again.")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Add the note")).to_be_focused()
        page.keyboard.press("Enter")
        # Then it is on the history, with a confirmation
        expect(page.locator(".messages")).to_contain_text(f"Note added to order {number}")
        expect(page.locator('#timeline li[data-kind="note"]')).to_contain_text(
            "Customer asked for the tracking link again."
        )
        # When they send the tracking details again
        page.get_by_role("button", name="Send the tracking details again").click()
        expect(page.locator(".messages")).to_contain_text("sent again to the customer")
        expect(page.locator("#timeline")).to_contain_text(
            "Message sent to the customer (tracking details)"
        )
        page.screenshot(path=str(screenshots_dir / "order-desk-phone.png"), full_page=True)
    finally:
        context.close()
