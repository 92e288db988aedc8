"""Every cookie Chromium actually stores is in the inventory, with its lifetime (C7.1, C7.2).

The visitor goes through every kind of page and action; after each step the cookie jar is
compared with lookout.consent.cookies.inventory(): an unknown cookie, a session cookie with an
expiry, or a persistent cookie whose lifetime differs from the listed one fails the test.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from lookout.consent.cookies import Category, inventory
from tests.e2e.conftest import DESKTOP

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"


def _check_jar(context: BrowserContext, step: str, seen: set[str]) -> None:
    listed = {c.name: c for c in inventory()}
    now = time.time()
    for cookie in context.cookies():
        name = cookie["name"]
        assert name in listed, f"after {step}: cookie {name!r} is not in the inventory"
        spec = listed[name]
        if spec.lifetime is None:
            assert cookie["expires"] == -1, f"after {step}: {name} must be a session cookie"
        else:
            expected = now + spec.lifetime.total_seconds()
            assert abs(cookie["expires"] - expected) < 300, f"after {step}: {name} lifetime"
        seen.add(name)


def _visit(page: Page, context: BrowserContext, url: str, seen: set[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    page.wait_for_load_state("networkidle")
    _check_jar(context, url, seen)


@pytest.mark.commitment("C7.1", "C7.2")
def test_every_stored_cookie_is_listed_with_its_lifetime(live_server_url, browser):
    site = live_server_url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    seen: set[str] = set()
    # shop pages, before any choice
    for path in ["/", "/c/outdoor-cameras/", "/search/?q=camera", "/search/?q=zzzz"]:
        _visit(page, context, site + path, seen)
    assert context.cookies() == [], "the shop sets no cookie before a choice"
    page.goto(site + "/c/indoor-cameras/")
    page.locator(".card:has(.stock.in) .card-link").first.click()
    _check_jar(context, "product page", seen)
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    _check_jar(context, "cart add", seen)
    page.get_by_label("Quantity of", exact=False).first.fill("1")
    page.get_by_role("button", name="Update").first.click()
    page.wait_for_load_state("networkidle")
    _check_jar(context, "cart update", seen)
    _visit(page, context, site + "/compare/?sku=" + "&sku=".join(_skus(page, site)), seen)
    for path in ["/policies/privacy/", "/cookies/", "/api/v1/docs"]:
        _visit(page, context, site + path, seen)
    # a choice: consent and (with analytics) the visitor cookie
    page.goto(site + "/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_load_state("networkidle")
    _check_jar(context, "accept", seen)
    # accounts: sign-up, account centre, inbox, sign-out, sign-in
    page.goto(site + "/accounts/signup/")
    page.locator("input[name=email]").fill("cookie-test@example.com")
    for field in page.locator("input[type=password]").all():
        field.fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state("networkidle")
    _check_jar(context, "sign-up", seen)
    # a sign-up signs nobody in (decision 0032: its answer must not tell a new email from one
    # that has an account), so the new person signs in
    page.goto(site + "/accounts/login/")
    page.locator("input[name=email]").fill("cookie-test@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    for path in ["/accounts/", "/inbox/"]:
        _visit(page, context, site + path, seen)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")
    _check_jar(context, "sign-out", seen)
    page.goto(site + "/accounts/login/")
    page.locator("input[name=email]").fill("cookie-test@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    _check_jar(context, "sign-in", seen)
    # then the cookies that appeared are the strictly necessary ones and, after consent, analytics
    listed = {c.name: c for c in inventory()}
    assert {"lookout_session", "lookout_csrf", "lookout_consent", "lookout_vid"} <= seen
    assert {listed[n].category for n in seen} <= {Category.STRICTLY_NECESSARY, Category.ANALYTICS}
    context.close()


def _skus(page: Page, site: str) -> list[str]:
    page.goto(site + "/c/outdoor-cameras/")
    return [el.get_attribute("data-sku") or "" for el in page.locator(".card [data-sku]").all()[:2]]
