"""A guest buys a product variant with a discount code and returns it, in real Chromium on a real
granian server with the sandbox processor (the harness of tests/e2e/test_checkout_browser.py;
issue 24, item 2, docs/decisions/0046-product-variants.md).

The guest, with every cookie blocked, chooses a colour of the demo doorbell with the chooser's
plain links (the page shows that variant's price and SKU), adds it and a single product to the
cart, applies a 10 % code and pays. The warehouse ships and the carrier delivers (in a shell,
as the back office would). The guest then returns the variant alone through the signed link's
return page, which names the variant; once the parcel is received and the refund settled, the
refund is exactly what the guest paid for that line: its total less its share of the discount.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import _lookout
from tests.e2e.test_checkout_browser import _fill_delivery, _pay, shop_url  # noqa: F401

# In the PostgreSQL pass of `make test` (root conftest.py), with the checkout's browser tests.
pytestmark = pytest.mark.browser

CHOOSE = """
import json
from lookout.catalog.models import Product
from lookout.vouchers.models import Voucher
Voucher.objects.get_or_create(code='VARIANT10', defaults={'percent': 10, 'usage_limit': None})
parent = next(p for p in Product.objects.filter(structure='parent').order_by('sku')
    if [n for n, _ in p.variants.first().options] == ['Colour'])
variants = list(parent.variants.filter(stock__gt=1).order_by('pk'))
chosen = variants[-1]  # the last one in stock: not the one the page shows first
single = Product.objects.filter(
    structure='standalone', category__slug='accessories', stock__gt=2).order_by('sku').first()
print(json.dumps({
    'url': parent.get_absolute_url(), 'sku': chosen.sku, 'name': chosen.name,
    'value': chosen.options[0][1], 'price': str(chosen.price),
    'single_url': single.get_absolute_url(), 'single_sku': single.sku,
}))
"""

DELIVER = """
import json
from lookout.accounts.services import create_account
from lookout.orders import guest
from lookout.orders.fulfilment import ship_order
from lookout.orders.models import Order
from lookout.orders.services import mark_delivered
clerk = create_account(email='clerk.variants@example.com', password='staff-long-pass-1',
    role='warehouse')
order = Order.objects.get(status='paid', voucher_code='VARIANT10')
ship_order(order=order, actor=clerk)
order = mark_delivered(order=order)
line = order.lines.get(sku='{sku}')
print(json.dumps({
    'number': order.number, 'token': guest.guest_token(order=order),
    'line_total': str(line.line_total), 'discount': str(line.discount),
    'line_name': line.name, 'order_discount': str(order.discount),
}))
"""

REFUND = """
import json
from lookout.accounts.services import create_account
from lookout.returns import services
from lookout.returns.models import ReturnRequest
from lookout.returns.refunds import settle_refund
make = lambda role: create_account(
    email=f'{role}.refund@example.com', password='staff-long-pass-1', role=role)
ret = ReturnRequest.objects.get(order__voucher_code='VARIANT10')
ret = services.receive_return(ret=ret, actor=make('warehouse'))
ret = services.accept_return(ret=ret, actor=make('after_sales'))
ret.refresh_from_db()
refund = settle_refund(refund=ret.refund, actor=make('finance'))
print(json.dumps({'refund': str(refund.amount), 'status': refund.status}))
"""


def _shell(env: dict[str, str], code: str) -> dict:
    out = _lookout(env, "shell", "-c", code).stdout.strip().splitlines()
    return json.loads(out[-1])


def _open_guest_returns(page: Page, url: str, token: str, number: str) -> None:
    page.goto(f"{url}/returns/guest/{token}/")
    page.get_by_label(re.compile("Order number")).fill(number)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=f"Return items from order {number}")).to_be_visible()


def test_a_guest_buys_a_variant_with_a_code_and_returns_it_for_what_they_paid(
    shop_url,  # noqa: F811
    cookie_blocking_context,
    screenshots_dir,
) -> None:
    url, env = shop_url
    chosen = _shell(env, CHOOSE)
    page = cookie_blocking_context.new_page()
    # the product page chooses a variant with a plain link: its price and SKU are shown
    page.goto(url + chosen["url"])
    page.locator(".variant-chooser a", has_text=chosen["value"]).click()
    expect(page.locator(".variant-chooser a[aria-current]")).to_contain_text(chosen["value"])
    expect(page.locator(".price.big .now")).to_have_text(f"${Decimal(chosen['price']):,.2f}")
    expect(page.locator(".assurances")).to_contain_text(f"SKU {chosen['sku']}")
    page.screenshot(path=str(screenshots_dir / "variant-product.png"), full_page=True)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    token = re.search(r"/cart/([A-Za-z0-9_-]{43})/", page.url)
    assert token, page.url  # cookies blocked: the cart's token is in the address
    # the cart names the variant; a single product joins it, and the code applies to both
    expect(page.locator("main")).to_contain_text(chosen["name"])
    page.goto(f"{url}{chosen['single_url']}?cart={token[1]}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.get_by_label("Discount code").fill("VARIANT10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#discount-line")).to_contain_text("Code VARIANT10 (10% off)")
    # the guest pays
    page.goto(f"{url}/checkout/{token[1]}/?country=GB")
    expect(page.locator("main")).to_contain_text(chosen["name"])
    _fill_delivery(page)
    _pay(page, "4242 4242 4242 4242")
    expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
    # the parcel is shipped and delivered
    order = _shell(env, DELIVER.replace("{sku}", chosen["sku"]))
    assert order["line_name"] == chosen["name"]
    paid_for_line = Decimal(order["line_total"]) - Decimal(order["discount"])
    assert Decimal("0") < Decimal(order["discount"]) < Decimal(order["order_discount"])
    # the guest returns the variant alone, from the signed link's return page
    _open_guest_returns(page, url, order["token"], order["number"])
    page.get_by_label(re.compile(re.escape(f"{chosen['name']} ({chosen['sku']})"))).fill("1")
    page.get_by_label(re.compile(chosen["single_sku"])).fill("0")
    page.get_by_label("Reason").select_option("changed_mind")
    page.get_by_role("button", name="Request a free return").click()
    expect(page.get_by_role("status")).to_contain_text("is registered")
    section = page.locator("section.ret")
    expect(section).to_contain_text(f"1 \N{MULTIPLICATION SIGN} {chosen['name']} ({chosen['sku']})")
    expect(section).to_contain_text(str(paid_for_line))
    # the parcel comes back, the inspection passes, finance pays the refund to the card
    refund = _shell(env, REFUND)
    assert Decimal(refund["refund"]) == paid_for_line, (refund, order)
    _open_guest_returns(page, url, order["token"], order["number"])
    expect(page.locator("section.ret")).to_contain_text(f"Refund: {paid_for_line}")
    page.screenshot(path=str(screenshots_dir / "variant-refund.png"), full_page=True)
    assert cookie_blocking_context.cookies() == []
