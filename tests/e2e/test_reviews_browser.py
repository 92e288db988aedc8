"""Reviews in a real Chromium against the real server (issue 24, item 4): a buyer whose order
was delivered writes a review from the product page (keyboard and phone-sized screen; plain
form, no script needed), after-sales publishes it from the moderation queue, and a visitor then
sees it with the product's average. The form is saved in var/screenshots/review-form-phone.png.
A customer who did not receive the product gets no form and a sentence why, and their POST is
refused; a reviewer who erases their account leaves no words or name, only their stars.
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

# In the SQLite pass of `make test` (a site of its own whatever the pass): the PostgreSQL pass
# has the longer share of the other work (root conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]

PASSWORD = "reviews-long-pass-1"
AGENT = "reviews.agent@example.com"
CLERK = "reviews.clerk@example.com"
BUYER = "reviews.buyer@example.com"
SECRET = pyotp.random_base32()
WORDS = "Clear picture through the night and the app asks for nothing it does not need."
# The non-buyers' test and the erasure test: their own people (a code is used once per person)
CHECKER = "reviews.checker@example.com"  # after-sales, reads the moderation queue
OFFICER = "reviews.officer@example.com"  # privacy officer, approves the erasure
STRANGER = "reviews.stranger@example.com"  # bought nothing
WAITER = "reviews.waiter@example.com"  # paid, not delivered yet
LEAVER = "reviews.leaver@example.com"  # reviewed, then erases their account
CHECKER_SECRET = pyotp.random_base32()
OFFICER_SECRET = pyotp.random_base32()
SNEAKED = "Sneaked in without buying: this must never reach the moderation queue at all."
LEAVER_WORDS = "Two stars: the mount broke within a week and the night view is grainy."
LEAVER_NAME = "Quentin L., DE"

PREPARE = f"""
import json
from django.utils import timezone
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.returns.testing import delivered_order, paid_order
from lookout.reviews import selectors as review_selectors, services as reviews
from lookout.vault.blind_index import email_index

def person(email, role="", secret=None):
    user = User.objects.filter(email_index=email_index(email)).first()
    user = user or create_account(email=email, password={PASSWORD!r}, role=role)
    if secret:
        user.totp_secret = secret
        user.totp_confirmed_at = timezone.now()
        user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user

agent = person({AGENT!r}, "after_sales")
agent.totp_secret = {SECRET!r}
agent.totp_confirmed_at = timezone.now()
agent.save(update_fields=["totp_secret", "totp_confirmed_at"])
buyer = person({BUYER!r})
order = delivered_order(person({CLERK!r}, "warehouse"), user=buyer)
product = order.lines.first().product
clerk = person({CLERK!r}, "warehouse")
person({CHECKER!r}, "after_sales", {CHECKER_SECRET!r})
person({OFFICER!r}, "privacy_officer", {OFFICER_SECRET!r})
person({STRANGER!r})
waited = paid_order(user=person({WAITER!r}), sku="REV-WAIT", slug="review-wait-camera")
waited = waited.lines.first().product
left = delivered_order(clerk, user=person({LEAVER!r}), sku="REV-LEFT", slug="review-left-camera")
left = left.lines.first().product
if review_selectors.review_of(subject=person({LEAVER!r}).subject, product_id=left.pk) is None:
    review = reviews.write_review(
        user=person({LEAVER!r}), product=left, stars=2, body={LEAVER_WORDS!r},
        pseudonym={LEAVER_NAME!r}, agreed=True,
    )
    reviews.publish(review_id=review.pk, actor=agent)
print(json.dumps({{
    "product": product.get_absolute_url(), "name": product.name,
    "write": f"/reviews/{{product.slug}}/write/",
    "waited": waited.get_absolute_url(), "waited_write": f"/reviews/{{waited.slug}}/write/",
    "left": left.get_absolute_url(), "left_reviews": f"/p/{{left.slug}}/reviews/",
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


def _sign_in(
    page: Page, base: str, email: str, *, code: bool = False, secret: str = SECRET
) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if code:
        page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
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


def _post_review(page: Page, base: str, write: str) -> tuple[int, str]:
    """The review form's POST, as a browser would send it (the session's CSRF token, from a page
    the customer can open), for a product this customer may not review."""
    page.goto(base + "/privacy/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    assert token
    response = page.request.post(
        base + write,
        form={
            "csrfmiddlewaretoken": token,
            "stars": "5",
            "body": SNEAKED,
            "pseudonym": "Sneaky S., US",
            "agree": "on",
        },
        headers={"Referer": base + write},
        max_redirects=0,
    )
    return response.status, response.text()


@pytest.mark.commitment("C4.4")
def test_a_signed_in_customer_who_did_not_buy_it_cannot_review(site, browser) -> None:
    base, made = site
    stranger_context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    waiter_context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    checker_context = browser.new_context()
    try:
        # A customer who bought nothing: the product page's link leads to no form, a sentence why
        stranger = stranger_context.new_page()
        _sign_in(stranger, base, STRANGER)
        stranger.goto(base + made["product"])
        stranger.locator("#write-review").focus()
        stranger.keyboard.press("Enter")
        expect(stranger.get_by_role("heading", level=1)).to_have_text(f"Review the {made['name']}")
        expect(stranger.locator("#refused")).to_have_text(
            "Only customers whose order with this product was delivered can review it. "
            "Once your order arrives, you can write one here or from the order's page."
        )
        expect(stranger.locator("#review-form")).to_have_count(0)
        expect(stranger.get_by_label("Your review")).to_have_count(0)
        # the address itself, opened directly, is refused
        response = stranger.goto(base + made["write"])
        assert response is not None and response.status == 403
        expect(stranger.locator("#review-form")).to_have_count(0)
        # ... and so is the form's POST
        status, body = _post_review(stranger, base, made["write"])
        assert status == 403, status
        assert "Only customers whose order with this product was delivered" in body
        # nothing stored: their reviews page lists nothing
        stranger.goto(base + "/reviews/mine/")
        expect(stranger.locator("#my-reviews")).to_have_count(0)
        expect(stranger.locator("main")).to_contain_text("You have not reviewed anything yet.")

        # A customer whose order is paid but not delivered yet: the same, for their product
        waiter = waiter_context.new_page()
        _sign_in(waiter, base, WAITER)
        response = waiter.goto(base + made["waited_write"])
        assert response is not None and response.status == 403
        expect(waiter.locator("#refused")).to_contain_text("Once your order arrives")
        expect(waiter.locator("#review-form")).to_have_count(0)
        status, body = _post_review(waiter, base, made["waited_write"])
        assert status == 403, status
        waiter.goto(base + "/reviews/mine/")
        expect(waiter.locator("#my-reviews")).to_have_count(0)

        # After-sales finds nothing new to moderate
        checker = checker_context.new_page()
        _sign_in(checker, base, CHECKER, code=True, secret=CHECKER_SECRET)
        checker.goto(base + "/staff/")
        checker.get_by_role("link", name="Reviews").click()
        expect(checker.get_by_role("heading", level=1)).to_be_visible()
        expect(checker.locator("main")).not_to_contain_text(SNEAKED)
        expect(checker.locator("main")).not_to_contain_text("Sneaky S., US")
    finally:
        for context in (stranger_context, waiter_context, checker_context):
            context.close()


@pytest.mark.commitment("C6.4")
def test_an_erased_reviewers_words_are_gone_and_the_stars_stay(site, browser) -> None:
    base, made = site
    leaver_context = browser.new_context(viewport=PHONE)
    officer_context = browser.new_context()
    visitor_context = browser.new_context(viewport=PHONE)
    try:
        # Before: a visitor reads the published review, with the product's average
        visitor = visitor_context.new_page()
        visitor.goto(base + made["left"])
        expect(visitor.locator("#reviews")).to_contain_text(LEAVER_WORDS)
        expect(visitor.locator("#reviews")).to_contain_text(LEAVER_NAME)
        summary = visitor.locator("#rating-summary").inner_text()
        assert "2.0 out of 5" in summary and "1 review from verified buyers" in summary, summary

        # The reviewer asks, in the privacy centre, to delete their data ...
        leaver = leaver_context.new_page()
        _sign_in(leaver, base, LEAVER)
        leaver.goto(base + "/privacy/")
        asking = leaver.get_by_role("region", name="Make a request")
        asking.locator("select[name=kind]").select_option("deletion")
        asking.get_by_label("Your password (we ask again to be sure it is you)").fill(PASSWORD)
        asking.get_by_role("button", name="Send the request").click()
        expect(leaver).to_have_url(re.compile(r"/privacy/requests/[0-9a-f-]{36}/$"))
        request_id = leaver.url.rstrip("/").rsplit("/", 1)[-1]

        # ... which the privacy officer approves (nothing holds it: the order was delivered)
        officer = officer_context.new_page()
        _sign_in(officer, base, OFFICER, code=True, secret=OFFICER_SECRET)
        officer.goto(f"{base}/privacy/queue/{request_id}/")
        officer.get_by_role("button", name="Approve and erase").click()
        expect(officer.get_by_role("button", name="Approve and erase")).to_have_count(0)
        expect(officer.locator(".privacy-queue-request")).to_contain_text("Completed")

        # After: neither the product page nor the reviews' own address shows the words or the
        # name; the stars stay in the average and the count
        for address in (made["left"], made["left_reviews"]):
            visitor.goto(base + address)
            expect(visitor.locator("main")).not_to_contain_text(LEAVER_WORDS)
            expect(visitor.locator("main")).not_to_contain_text(LEAVER_NAME)
            assert LEAVER_WORDS not in visitor.content()
            assert LEAVER_NAME not in visitor.content()
        visitor.goto(base + made["left"])
        expect(visitor.locator("#review-list")).to_contain_text("No written review to show.")
        expect(visitor.locator("#rating-summary")).to_have_text(summary)
        visitor.goto(base + made["left_reviews"])
        expect(visitor.locator("#review-list")).to_contain_text("No written review to show.")
        expect(visitor.locator("#rating-summary")).to_contain_text("2.0 out of 5")
        expect(visitor.locator("#rating-summary")).to_contain_text("1 review from verified buyers")
    finally:
        for context in (leaver_context, officer_context, visitor_context):
            context.close()
