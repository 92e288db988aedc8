"""Customer service in a real Chromium against the real server (issue 23): a signed-in buyer
asks about an order from its page, after-sales answers from the queue, the buyer reads the
answer in the conversation and in the inbox; a general question from the help page; a guest
asks with the order link and number; a visitor asks about a product with an email code;
after-sales hands a privacy question to the privacy officer, and the requests born in
conversations (the buyer's from the privacy centre, a visitor's from their conversation with a
code) reach the officer's queue linked to their conversations both ways. Keyboard and
phone-sized screen where it matters; the conversation page is saved in
var/screenshots/support-conversation-phone.png.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from lookout.testing.parts import missing
from tests.e2e.conftest import BIN, PHONE, ROOT, _site_env, pass_second_factor
from tests.e2e.test_accessibility import AXE, AXE_MISSING, check_page

# In the SQLite pass of `make test` (a site of its own whatever the pass): the PostgreSQL pass
# has the longer share of the other work (root conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]

PASSWORD = "support-long-pass-1"
AGENT = "support.agent@example.com"
BUYER = "support.buyer@example.com"
OFFICER = "support.officer@example.com"
SECRET = pyotp.random_base32()
QUESTION = "Can the parcel be left with my neighbour?"
ANSWER = "Yes, the carrier can leave it with a neighbour."

PREPARE = f"""
import json
from django.utils import timezone
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.catalog.models import Product
from lookout.orders.guest import guest_token
from lookout.orders.testing import place
from lookout.vault.blind_index import email_index

def person(email, role=""):
    user = User.objects.filter(email_index=email_index(email)).first()
    return user or create_account(email=email, password={PASSWORD!r}, role=role)

for staff in (person({AGENT!r}, "after_sales"), person({OFFICER!r}, "privacy_officer")):
    staff.totp_secret = {SECRET!r}
    staff.totp_confirmed_at = timezone.now()
    staff.save(update_fields=["totp_secret", "totp_confirmed_at"])
buyer = person({BUYER!r})
product = Product.objects.filter(stock__gt=5).order_by("sku").first()
mine = place(product, user=buyer)
guest = place(product)
print(json.dumps({{
    "mine": mine.number, "guest": guest.number, "token": guest_token(order=guest),
    "product": product.get_absolute_url(),
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
    made = json.loads(out.strip().splitlines()[-1])
    made["var_dir"] = str(found[0].parent)
    return live_server_url, made


def _sign_in(page: Page, base: str, email: str, *, code: bool = False) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if not code:
        return
    pass_second_factor(page, SECRET, email)


@pytest.mark.commitment("C1.9")
def test_each_conversation_path_in_the_browser(site, browser, screenshots_dir: Path) -> None:
    base, made = site
    buyer_context = browser.new_context(viewport=PHONE)
    agent_context = browser.new_context()
    guest_context = browser.new_context()
    try:
        buyer = buyer_context.new_page()
        _sign_in(buyer, base, BUYER)
        # From the order page, by keyboard: ask about this order
        buyer.goto(f"{base}/orders/{made['mine']}/")
        buyer.get_by_role("link", name="Ask about this order").click()
        buyer.get_by_label("Your question").focus()
        buyer.keyboard.type(QUESTION)
        buyer.keyboard.press("Tab")
        expect(buyer.get_by_role("button", name="Send")).to_be_focused()
        buyer.keyboard.press("Enter")
        expect(buyer.get_by_role("heading", level=1)).to_have_text(f"About order {made['mine']}")
        expect(buyer.locator("#state")).to_contain_text("Waiting for our answer")
        assert not buyer.evaluate("document.documentElement.scrollWidth > window.innerWidth")

        # After-sales answers from the queue
        agent = agent_context.new_page()
        _sign_in(agent, base, AGENT, code=True)
        agent.goto(base + "/help/staff/")
        agent.locator("#conversations tr", has_text=made["mine"]).get_by_role("link").click()
        expect(agent.locator(".posts")).to_contain_text(QUESTION)
        agent.get_by_label("Answer to the customer").fill(ANSWER)
        agent.get_by_role("button", name="Send answer").click()
        expect(agent.locator("#state")).to_contain_text("Answered")

        # The buyer reads it in the conversation and in the inbox
        buyer.reload()
        expect(buyer.locator(".posts")).to_contain_text(ANSWER)
        buyer.screenshot(
            path=str(screenshots_dir / "support-conversation-phone.png"), full_page=True
        )
        buyer.goto(base + "/inbox/")
        expect(buyer.locator(".inbox-list")).to_contain_text(
            f"We answered your question about order {made['mine']}"
        )

        # A general question, from the footer's help page (by keyboard: on a phone the cookie
        # banner covers the footer until the visitor chooses)
        buyer.goto(base + "/")
        buyer.locator("footer").get_by_role("link", name="Help and contact").focus()
        buyer.keyboard.press("Enter")
        expect(buyer.locator("#operator")).to_be_visible()
        buyer.get_by_role("link", name="ask a general question").click()
        buyer.get_by_label("Your question").fill("Do you offer gift wrapping?")
        buyer.get_by_role("button", name="Send").click()
        expect(buyer.get_by_role("heading", level=1)).to_have_text("A general question")

        # A guest, with the emailed order link and the order number
        guest = guest_context.new_page()
        guest.goto(f"{base}/help/guest/{made['token']}/")
        guest.get_by_label("Order number").fill(made["guest"])
        guest.get_by_role("button", name="Continue").click()
        guest.get_by_label("Your question").fill("Is it gift wrapped?")
        guest.get_by_role("button", name="Send").click()
        expect(guest.locator("#notice")).to_have_text("Your question is with us.")
        expect(guest.locator(".conversation .posts")).to_contain_text("Is it gift wrapped?")
    finally:
        for context in (buyer_context, agent_context, guest_context):
            context.close()


@pytest.mark.commitment("C1.9")
def test_a_visitor_asks_about_a_product_with_an_email_code(site, browser) -> None:
    """The server runs the development profile, whose mail goes to the outbox folder: the test
    reads the code there, as the visitor would in their mailbox."""
    base, made = site
    outbox = Path(made["var_dir"]) / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(base + made["product"])
        page.locator("#ask-about-product").focus()
        page.keyboard.press("Enter")
        page.get_by_label("Your question").fill("Is the mount included?")
        page.get_by_label("Your email").fill("visitor.e2e@example.com")
        page.get_by_role("button", name="Send me a code").click()
        expect(page.get_by_label("The 6-digit code from the email")).to_be_visible()
        (mail,) = set(outbox.glob("*.eml")) - before
        code = re.search(r"Your code is (\d{6})", mail.read_text()).group(1)  # type: ignore[union-attr]
        page.get_by_label("The 6-digit code from the email").fill(code)
        page.get_by_role("button", name="Send my question").click()
        expect(page.locator(".posts")).to_contain_text("Is the mount included?")
        expect(page.locator("#state")).to_contain_text("Waiting for our answer")
        assert "/help/ask/" in page.url
    finally:
        context.close()


def _outbox_code(outbox: Path, before: set[Path]) -> str:
    (mail,) = set(outbox.glob("*.eml")) - before
    return re.search(r"Your code is (\d{6})", mail.read_text()).group(1)  # type: ignore[union-attr]


@pytest.mark.commitment("C6.6", "C6.1")
def test_hand_over_and_privacy_requests_born_in_conversations(site, browser) -> None:
    """The new pages are measured with axe-core as in the accessibility sweep (WCAG 2.2 A/AA,
    no critical or serious violation): the visitor's conversation with its request form, the
    code page, the request's own page, the officer's request page and a start page."""
    if not AXE.exists():
        missing("axe-core", AXE_MISSING)
    axe = AXE.read_text("utf-8")
    base, made = site
    outbox = Path(made["var_dir"]) / "outbox"
    buyer_context = browser.new_context(viewport=PHONE)
    agent_context = browser.new_context()
    officer_context = browser.new_context()
    visitor_context = browser.new_context(viewport=PHONE)
    try:
        # The buyer asks a privacy question in a general conversation
        buyer = buyer_context.new_page()
        _sign_in(buyer, base, BUYER)
        buyer.goto(base + "/help/conversations/new/")
        buyer.get_by_label("Your question").fill("Which data do you keep about me?")
        buyer.get_by_role("button", name="Send").click()
        expect(buyer.get_by_role("heading", level=1)).to_have_text("A general question")
        conversation_url = buyer.url

        # After-sales hands it over to the privacy officer
        agent = agent_context.new_page()
        _sign_in(agent, base, AGENT, code=True)
        agent.goto(base + "/help/staff/")
        agent.locator("#conversations tr", has_text="A general question").last.get_by_role(
            "link"
        ).click()
        expect(agent.locator(".posts")).to_contain_text("Which data do you keep about me?")
        agent.get_by_label("Hand over to").select_option("privacy_officer")
        agent.get_by_role("button", name="Hand over").click()
        expect(agent.get_by_role("heading", level=1)).to_contain_text("Customer conversations")
        agent.goto(base + "/staff/after-sales/")
        expect(agent.locator("#conversations-waiting")).to_be_visible()
        check_page(agent, axe, "after-sales start page")

        # The buyer is pointed to the privacy centre and asks there, with their password
        buyer.goto(conversation_url)
        expect(buyer.locator("#privacy-request")).to_be_visible()
        buyer.locator("#privacy-request").get_by_role("link", name="your privacy centre").click()
        form = buyer.locator('form[action="/privacy/requests/"]')
        form.get_by_label("Kind").select_option("access")
        form.get_by_label("Your password (we ask again to be sure it is you)").fill(PASSWORD)
        form.get_by_role("button", name="Send the request").click()
        expect(buyer.locator(".request-status")).to_contain_text("See my data")
        request_path = buyer.url.removeprefix(base)
        buyer.goto(conversation_url)
        expect(buyer.locator("#privacy-requests")).to_contain_text("See the data")
        assert not buyer.evaluate("document.documentElement.scrollWidth > window.innerWidth")

        # The officer finds the request from the conversation, and the conversation from it
        officer = officer_context.new_page()
        _sign_in(officer, base, OFFICER, code=True)
        officer.goto(
            base
            + conversation_url.removeprefix(base).replace("/help/conversations/", "/help/staff/")
        )
        expect(officer.locator(".posts")).to_contain_text("Which data do you keep about me?")
        officer.locator("#privacy-requests").get_by_role("link").click()
        expect(officer.locator("#request-conversations")).to_be_visible()
        check_page(officer, axe, "officer's request page")
        officer.locator("#request-conversations").get_by_role("link").click()
        expect(officer.locator(".posts")).to_contain_text("Which data do you keep about me?")

        # A visitor asks about a product, then to delete their data, with a code each time
        visitor = visitor_context.new_page()
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        visitor.goto(base + made["product"])
        visitor.locator("#ask-about-product").focus()
        visitor.keyboard.press("Enter")
        visitor.get_by_label("Your question").fill("Does it record sound?")
        visitor.get_by_label("Your email").fill("visitor.privacy.e2e@example.com")
        visitor.get_by_role("button", name="Send me a code").click()
        visitor.get_by_label("The 6-digit code from the email").fill(_outbox_code(outbox, before))
        before = set(outbox.glob("*.eml"))
        visitor.get_by_role("button", name="Send my question").click()
        expect(visitor.locator(".posts")).to_contain_text("Does it record sound?")
        check_page(visitor, axe, "visitor's conversation")
        before = set(outbox.glob("*.eml"))
        visitor.get_by_label("Delete my data").check()
        visitor.get_by_role("button", name="Email me a code").click()
        expect(visitor.locator("#sent")).to_be_visible()
        check_page(visitor, axe, "visitor's request code page")
        visitor.get_by_label("The 6-digit code from the email").fill(_outbox_code(outbox, before))
        visitor.get_by_role("button", name="Verify and send the request").click()
        expect(visitor.locator(".request-status")).to_contain_text("Delete my data")
        expect(visitor.locator(".certificate-reference")).to_be_visible()
        check_page(visitor, axe, "visitor's request page")
        assert "/privacy/visitor/requests/" in visitor.url
        assert not visitor.evaluate("document.documentElement.scrollWidth > window.innerWidth")

        # ... which the officer finds in the queue, with the visitor's conversation
        officer.goto(base + "/privacy/queue/")
        officer.locator(".privacy-queue tr", has_text="Delete my data").first.get_by_role(
            "link", name="Open"
        ).click()
        expect(officer.locator("#request-conversations")).to_contain_text(
            "a visitor, by email code"
        )
        assert request_path.startswith("/privacy/requests/")
    finally:
        for context in (buyer_context, agent_context, officer_context, visitor_context):
            context.close()
