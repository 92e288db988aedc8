"""The back office in a real Chromium against the real server (C1.8, C4.3).

Demo staff (accounts.demo) sign in with password and TOTP code (the code `lookout demo_otp`
prints, computed here from the same public demo secret). Orders are prepared in the live
server's own database: one paid order for the warehouse to ship, and one delivered order whose
return is received and inspected, for finance to settle. Each role's queue is saved in
var/screenshots/backoffice-<role>.png.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lookout.accounts.demo import demo_totp_secret
from tests.e2e.conftest import BIN, DESKTOP, ROOT, pass_second_factor

# In the PostgreSQL pass of `make test` (root conftest.py: a browser test not marked
# database_independent): the two passes share the browser work, about evenly since the quick
# flush made the PostgreSQL pass the shorter (docs/testing.md).
pytestmark = pytest.mark.browser

PASSWORD = "lookout-demo-only"
STAFF = {
    "warehouse": "warehouse@example.com",
    "after_sales": "after-sales@example.com",
    "finance": "finance@example.com",
    "privacy_officer": "privacy@example.com",
    "catalog_manager": "catalog@example.com",
    "administrator": "admin@example.com",
}

# Run by `lookout shell` in the live server's environment; prints the numbers it made.
PREPARE = """
import json, secrets
from urllib.parse import unquote, urlsplit
from lookout.accounts import demo
from lookout.accounts.models import User
from lookout.catalog.models import Product
from lookout.orders.demo import ensure_partner
from lookout.orders.fulfilment import ship_order
from lookout.orders.payment import begin_payment, finish_payment
from lookout.orders.services import mark_delivered
from lookout.orders.testing import pay_on_sandbox, place
from lookout.returns import services
from lookout.returns.testing import request_all
from lookout.vault.blind_index import email_index

demo.load(progress=lambda m: None)
ensure_partner(name="Fair Resolve Ltd", kind="dispute_resolution")
staff = lambda e: User.objects.get(email_index=email_index(e))
clerk, agent = staff("warehouse@example.com"), staff("after-sales@example.com")

def paid():
    product = Product.objects.filter(stock__gt=5).order_by("sku").first()
    order = place(product)
    back = pay_on_sandbox(begin_payment(order=order, return_url="/checkout/return/x/"))
    ref = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))["ref"]
    order, _ = finish_payment(order=order, signed_reference=unquote(ref))
    return order

to_ship = paid()
returned = paid()
ship_order(order=returned, actor=clerk)
returned = mark_delivered(order=returned)
ret = request_all(returned, reason="defective")
services.receive_return(ret=ret, actor=clerk)
services.accept_return(ret=ret, actor=agent)
waiting = request_all(mark_delivered(order=ship_order(order=paid(), actor=clerk).order))
print(json.dumps({"to_ship": to_ship.number, "refund": ret.number, "to_receive": waiting.number}))
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


def _lookout(var_dir: Path, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "lookout"), *args],
        env=_env(var_dir), cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip


@pytest.fixture(scope="module")
def backoffice(live_server_url: str, tmp_path_factory: pytest.TempPathFactory):
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*/lookout.sqlite3"))
    assert len(found) == 1, found
    var_dir = found[0].parent
    made = json.loads(_lookout(var_dir, "shell", "-c", PREPARE).strip().splitlines()[-1])
    return live_server_url, var_dir, made


def _sign_in(page: Page, base: str, role: str) -> None:
    email = STAFF[role]
    page.goto(base + "/accounts/login/?next=/staff/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, demo_totp_secret(email), role)


@pytest.mark.commitment("C4.3", "C4.7")
def test_a_warehouse_user_ships_an_order(backoffice, browser, screenshots_dir: Path) -> None:
    base, _, made = backoffice
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        # Given the warehouse clerk signed in with password and code
        _sign_in(page, base, "warehouse")
        # Then the back office opens on the warehouse queue, with a return to receive
        expect(page.get_by_role("heading", level=1)).to_have_text("Warehouse")
        expect(page.locator(f'tr[data-return="{made["to_receive"]}"]')).to_be_visible()
        page.screenshot(path=str(screenshots_dir / "backoffice-warehouse.png"), full_page=True)
        # When they open the shipping queue and ship the paid order
        page.get_by_role("link", name="Open the shipping queue").click()
        row = page.locator(f'tr[data-number="{made["to_ship"]}"]')
        row.get_by_role("button", name="Ship (label + charge)").click()
        # Then it is shipped with a tracking number and leaves the queue
        expect(page.locator(".messages")).to_contain_text(f"Order {made['to_ship']} shipped")
        expect(page.locator(f'tr[data-number="{made["to_ship"]}"]')).to_have_count(0)
        # And the return parcel can be marked received
        page.goto(base + "/staff/warehouse/")
        page.locator(f'tr[data-return="{made["to_receive"]}"]').get_by_role(
            "button", name="Mark received"
        ).click()
        expect(page.locator(".messages")).to_contain_text("received")
    finally:
        context.close()


@pytest.mark.commitment("C1.8", "C4.3")
def test_a_finance_user_settles_a_refund(backoffice, browser, screenshots_dir: Path) -> None:
    base, _, made = backoffice
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, base, "finance")
        expect(page.get_by_role("heading", level=1)).to_have_text("Finance")
        row = page.locator(f'#refunds-due tr[data-return="{made["refund"]}"]')
        expect(row).to_contain_text("Refund on its way")
        # No address or email on the finance queue: amounts and payment references only
        expect(page.locator("main")).not_to_contain_text("MOUNTAIN VIEW")
        expect(page.locator("main")).not_to_contain_text("@example.com")
        page.screenshot(path=str(screenshots_dir / "backoffice-finance.png"), full_page=True)
        row.get_by_role("button", name="Settle refund").click()
        expect(page.locator(".messages")).to_contain_text(f"for return {made['refund']} settled")
        expect(page.locator("#refunds-settled")).to_contain_text(made["refund"])
    finally:
        context.close()


@pytest.mark.commitment("C4.3")
@pytest.mark.parametrize(
    ("role", "heading"),
    [
        ("after_sales", "After-sales"),
        ("privacy_officer", "Privacy officer"),
        ("catalog_manager", "Catalog"),
        ("administrator", "Administrator"),
    ],
)
def test_each_queue_opens_for_its_role(
    backoffice, browser, screenshots_dir: Path, role: str, heading: str
) -> None:
    base, _, _ = backoffice
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, base, role)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        if role == "privacy_officer":
            page.get_by_role("link", name="Audit log").click()
            # The log reads in words (issue 22): the action's name, not its code
            expect(page.locator("#audit")).to_contain_text("Read personal data")
            expect(page.locator("#audit")).not_to_contain_text("reveal")
        if role == "administrator":
            # Staff emails are masked, never shown in full
            expect(page.locator("#staff-accounts")).to_contain_text("•••")
            expect(page.locator("#staff-accounts")).not_to_contain_text("finance@example.com")
        page.screenshot(path=str(screenshots_dir / f"backoffice-{role}.png"), full_page=True)
    finally:
        context.close()


# Where the focus is and whether it can be seen: an outline or a box-shadow drawn for it.
FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const outlined = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  return {
    seen: outlined || s.boxShadow !== "none",
    what: `${e.tagName.toLowerCase()}#${e.id} ${(e.innerText || e.name || "").trim().slice(0, 40)}`,
  };
}"""


def _tab_until(page: Page, wanted: str, *, limit: int = 150) -> None:
    """Press Tab until the focused element matches the CSS selector `wanted`; every element
    the focus passes on the way must show it (outline or box-shadow)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus is None:
            continue
        assert focus["seen"], f"the focus on {focus['what']} cannot be seen"
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            return
    raise AssertionError(f"{wanted} never took the focus in {limit} presses of Tab")


STANDALONE = """
import json
from lookout.catalog.models import Product, Structure
p = Product.objects.filter(structure=Structure.STANDALONE, stock__gt=20).order_by("-pk").first()
print(json.dumps({"pk": p.pk, "sku": p.sku, "stock": p.stock}))
"""

RESTORE = """
from lookout.catalog.cache import bump_generation
from lookout.catalog.models import Product
from lookout.catalog.search import index_products
p = Product.objects.get(pk={pk})
p.stock = {stock}
p.save()
index_products([p])
bump_generation()
"""


def test_the_catalog_manager_changes_a_product_with_the_keyboard_alone(backoffice, browser) -> None:
    """From the back office's start page to a saved product with Tab, Enter and typing: no
    click, and the focus seen on every element it passes (issue 22, accessibility)."""
    base, var_dir, _ = backoffice
    product = json.loads(_lookout(var_dir, "shell", "-c", STANDALONE).strip().splitlines()[-1])
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, base, "catalog_manager")
        expect(page.get_by_role("heading", level=1)).to_have_text("Catalog")
        # To the product list
        _tab_until(page, 'a[href="/admin/catalog/product/"]')
        page.keyboard.press("Enter")
        expect(page).to_have_url(base + "/admin/catalog/product/")
        # Find the product by its SKU and open it
        _tab_until(page, "#searchbar")
        page.keyboard.type(product["sku"])
        page.keyboard.press("Enter")
        expect(page.locator("#result_list")).to_contain_text(product["sku"])
        _tab_until(page, f'#result_list a[href*="/catalog/product/{product["pk"]}/change/"]')
        page.keyboard.press("Enter")
        expect(page.locator("#id_stock")).to_have_value(str(product["stock"]))
        # Change its stock, typed, and save
        _tab_until(page, "#id_stock")
        page.keyboard.press("ControlOrMeta+A")
        page.keyboard.type(str(product["stock"] + 1))
        _tab_until(page, 'input[name="_save"]', limit=300)
        page.keyboard.press("Enter")
        # Then the list says it was saved, with the new stock
        expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
        _tab_until(page, "#searchbar")  # the focus is still seen after the save
        page.goto(base + f"/admin/catalog/product/{product['pk']}/change/")
        expect(page.locator("#id_stock")).to_have_value(str(product["stock"] + 1))
    finally:
        context.close()
        _lookout(var_dir, "shell", "-c", RESTORE.format(**product))
