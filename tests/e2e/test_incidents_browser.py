"""The privacy officer records a breach incident in a real Chromium against the real server and
sees its blast radius (C4.8, issue 26).

In the live server's own database: the demo staff, and a customer whose email an after-sales
account of the test's own reads through the gate (an audited read). The officer signs in with
password and TOTP code (`lookout demo_otp`), records that the after-sales account was
compromised over the last hour, and sees exactly that customer, by pseudonymous id, with the
field read; then sends the notices. The pages are checked at 390 px for horizontal overflow;
screenshots go to var/screenshots/incident-*.png.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_backoffice_browser import _lookout, _sign_in

pytestmark = pytest.mark.browser

# Run by `lookout shell` in the live server's environment; prints the ids it made.
PREPARE = """
import json, secrets
from lookout.access import reveal
from lookout.accounts import demo
from lookout.accounts.services import create_account
from lookout.core.purposes import Purpose

demo.load(progress=lambda m: None)
new = lambda **kind: create_account(email=f"p.{secrets.token_hex(4)}@example.com", **kind)
# an after-sales account of this module's own: the demo's is used by other browser tests on
# the same server, whose reads would be in the window too
agent = new(role="after_sales", password="a-long-passphrase-1")
# two customers who never sign in: no password to hash (Argon2, over half a second each here)
person, bystander = new(password=None), new(password=None)
reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=agent)
print(json.dumps({"agent": str(agent.subject), "person": str(person.subject),
                  "bystander": str(bystander.subject)}))
"""


@pytest.fixture(scope="module")
def breach(live_server_url: str, tmp_path_factory: pytest.TempPathFactory):
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*/lookout.sqlite3"))
    assert len(found) == 1, found
    var_dir = found[0].parent
    made = json.loads(_lookout(var_dir, "shell", "-c", PREPARE).strip().splitlines()[-1])
    return live_server_url, var_dir, made


def _fits(page: Page) -> None:
    """Nothing wider than the viewport: the page never scrolls sideways at 390 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width} px wide"


@pytest.mark.commitment("C4.8")
def test_the_officer_records_a_compromised_account_and_sees_who_it_exposed(
    breach, browser, screenshots_dir: Path
) -> None:
    base, _, made = breach
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, base, "privacy_officer")
        page.get_by_role("link", name="Breach incidents").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Breach incidents")
        page.get_by_role("link", name="Record an incident").click()

        now = datetime.now(UTC)
        page.get_by_label("What was compromised").select_option("staff_account")
        page.get_by_label("Window starts (UTC)").fill(
            (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        )
        page.get_by_label("Window ends (UTC)").fill(
            (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
        )
        page.get_by_label("Staff account").select_option(made["agent"])
        page.get_by_label("Measures taken or proposed").fill("Account closed, password reset.")
        page.get_by_role("button", name="Record and compute").click()

        expect(page.locator(".messages")).to_contain_text("1 people affected")
        people = page.locator("#people")
        expect(people).to_contain_text(made["person"])
        expect(people).to_contain_text("email address (account)")  # the field, in words
        expect(people).not_to_contain_text(made["bystander"])
        expect(people).not_to_contain_text("@example.com")  # pseudonymous ids only
        expect(page.locator("#authority-notice")).to_contain_text(
            "Approximate number of people concerned: 1."
        )
        page.screenshot(path=str(screenshots_dir / "incident-desktop.png"), full_page=True)

        page.set_viewport_size(PHONE)
        page.reload()
        _fits(page)
        page.screenshot(path=str(screenshots_dir / "incident-phone.png"), full_page=True)

        page.get_by_role("button", name="Send the notices to 1 inboxes").click()
        expect(page.locator(".messages")).to_contain_text("1 notice(s) posted")
        expect(people).not_to_contain_text("not yet")
        for path in ("/staff/incidents/", "/staff/incidents/new/"):
            page.goto(base + path)
            _fits(page)
        page.screenshot(path=str(screenshots_dir / "incident-form-phone.png"), full_page=True)
    finally:
        context.close()
