"""Reviews in a real Chromium against the real server (issue 24, item 4): a buyer whose order
was delivered writes a review from the product page (keyboard and phone-sized screen; plain
form, no script needed), after-sales publishes it from the moderation queue, and a visitor then
sees it with the product's average. The form is saved in var/screenshots/review-form-phone.png.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    BIN,
    PHONE,
    ROOT,
    _site_env,
)
from tests.e2e.test_accessibility import axe_source, check_page  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

PASSWORD = "reviews-long-pass-1"
AGENT = "reviews.agent@example.com"
CLERK = "reviews.clerk@example.com"
BUYER = "reviews.buyer@example.com"
SECRET = pyotp.random_base32()
WORDS = "Clear picture through the night and the app asks for nothing it does not need."

PREPARE = f"""
import json
from django.utils import timezone
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.returns.testing import delivered_order
from lookout.vault.blind_index import email_index

def person(email, role=""):
    user = User.objects.filter(email_index=email_index(email)).first()
    return user or create_account(email=email, password={PASSWORD!r}, role=role)

agent = person({AGENT!r}, "after_sales")
agent.totp_secret = {SECRET!r}
agent.totp_confirmed_at = timezone.now()
agent.save(update_fields=["totp_secret", "totp_confirmed_at"])
buyer = person({BUYER!r})
order = delivered_order(person({CLERK!r}, "warehouse"), user=buyer)
product = order.lines.first().product
print(json.dumps({{
    "product": product.get_absolute_url(), "name": product.name,
    "write": f"/reviews/{{product.slug}}/write/",
}}))
"""


@pytest.fixture(scope="module")
def site(live_server_url: str, tmp_path_factory: pytest.TempPathFactory):
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*/lookout.sqlite3"))
    assert len(found) == 1, found
    out = subprocess.run(
        [str(BIN / "lookout"), "shell", "-c", PREPARE],
        env=_site_env(found[0].parent), cwd=ROOT, check=True, capture_output=True, text=True,
        timeout=300,
    ).stdout  # fmt: skip
    return live_server_url, json.loads(out.strip().splitlines()[-1])


def _sign_in(page: Page, base: str, email: str, *, code: bool = False) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if code:
        page.get_by_label("6-digit code").fill(pyotp.TOTP(SECRET).now())
        page.get_by_role("button", name="Continue").click()


@pytest.mark.commitment("C4.4")
def test_a_delivered_buyer_reviews_and_after_sales_publishes(
    site,
    browser,
    screenshots_dir: Path,
    axe_source: str,  # noqa: F811
) -> None:
    base, made = site
    buyer_context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    checked_context = browser.new_context(viewport=PHONE)  # with scripts, for axe-core
    agent_context = browser.new_context()
    visitor_context = browser.new_context(viewport=PHONE)
    try:
        # The form as a phone shows it passes axe-core (no critical or serious violation)
        checked = checked_context.new_page()
        _sign_in(checked, base, BUYER)
        checked.goto(base + made["write"])
        expect(checked.locator("#review-form")).to_be_visible()
        check_page(checked, axe_source, "the review form at 390 px")

        # The buyer, on a phone and without JavaScript, from the product page, by keyboard
        buyer = buyer_context.new_page()
        _sign_in(buyer, base, BUYER)
        buyer.goto(base + made["product"])
        expect(buyer.locator("#rating-summary")).to_have_text("No reviews yet.")
        buyer.locator("#write-review").focus()
        buyer.keyboard.press("Enter")
        expect(buyer.get_by_role("heading", level=1)).to_have_text(f"Review the {made['name']}")
        expect(buyer.get_by_label("Show my review under the name")).to_have_value("A., US")
        buyer.get_by_label("4 stars").check()
        buyer.get_by_label("Your review").fill(WORDS)
        buyer.get_by_label("Publish my stars").check()
        assert not buyer.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        buyer.screenshot(path=str(screenshots_dir / "review-form-phone.png"), full_page=True)
        buyer.get_by_role("button", name="Send my review").focus()
        buyer.keyboard.press("Enter")
        expect(buyer.locator("#sent")).to_contain_text("waits for our check")
        expect(buyer.locator("#my-reviews")).to_contain_text("Waiting for moderation")
        # not on the product page before moderation
        buyer.goto(base + made["product"])
        expect(buyer.locator("#reviews")).not_to_contain_text(WORDS)

        # After-sales reads it in the moderation queue (second factor passed) and publishes it
        agent = agent_context.new_page()
        _sign_in(agent, base, AGENT, code=True)
        agent.goto(base + "/staff/")
        agent.get_by_role("link", name="Reviews").click()
        row = agent.locator("#pending tr", has_text=WORDS)
        expect(row).to_contain_text("A., US")
        expect(row).to_contain_text("4 / 5")
        check_page(agent, axe_source, "the moderation queue")
        row.get_by_role("button", name="Publish").click()
        expect(agent.locator("#done")).to_have_text("Review published.")
        expect(agent.locator("#pending")).to_have_count(0)

        # A visitor sees it, with the average and count, and the product's JSON-LD: the page
        # (cached) loads the words from their own address with htmx
        visitor = visitor_context.new_page()
        visitor.goto(base + made["product"])
        expect(visitor.locator("#review-list li.review")).to_have_count(1)
        expect(visitor.locator("#read-reviews")).to_have_count(0)
        expect(visitor.locator("#reviews")).to_contain_text(WORDS)
        expect(visitor.locator("#reviews")).to_contain_text("A., US")
        expect(visitor.locator("#rating-summary")).to_contain_text("4.0 out of 5")
        expect(visitor.locator("#rating-summary")).to_contain_text("1 review from verified buyers")
        data = json.loads(visitor.locator("#product-json-ld").text_content() or "")
        assert data["aggregateRating"]["ratingValue"] == "4.0"
        assert "review" not in data  # the average only: no person's words in the cached page
        assert not visitor.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        check_page(visitor, axe_source, "a product page with a review at 390 px")
        # without JavaScript, the page's link leads to the reviews, by keyboard
        buyer.goto(base + made["product"])
        buyer.locator("#read-reviews").focus()
        buyer.keyboard.press("Enter")
        expect(buyer).to_have_url(re.compile(r"/reviews/$"))
        expect(buyer.locator("#reviews")).to_contain_text(WORDS)
        expect(buyer.locator("#reviews")).to_contain_text("A., US")
        checked.goto(base + "/reviews/mine/")
        expect(checked.locator("#my-reviews")).to_contain_text("Published")
        check_page(checked, axe_source, "the buyer's reviews at 390 px")
    finally:
        for context in (buyer_context, checked_context, agent_context, visitor_context):
            context.close()
