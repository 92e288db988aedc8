"""Requests that wait only with a reason (C6.8) and restriction of processing (C6.9), in a real
Chromium against the real server.

A customer of the live server's own database has an open correction request. The privacy officer
extends it once with a reason; the customer, on a phone, sees the new due date and the reason on
the request and the message in their inbox. The customer then restricts the processing of their
data from the privacy centre (with the keyboard alone), the officer finds it on the queue and
lifts it with a reason, which the customer sees. Screenshots: var/screenshots/
privacy-extension-phone.png, privacy-restriction-phone.png.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_backoffice_browser import _lookout, _sign_in, backoffice  # noqa: F401

pytestmark = pytest.mark.browser

CUSTOMER_PASSWORD = "a-long-customer-pass-9"
COMPLEX = "Your request is complex"
ACCURACY_CHECKED = "We have checked your data and it is accurate"

PREPARE = """
import json
from lookout.accounts.services import create_account
from lookout.privacy.models import Kind, Via
from lookout.privacy.services import open_request

user = create_account(email="{email}", password="{password}")
request = open_request(subject=user.subject, kind=Kind.CORRECTION, via=Via.ACCOUNT, actor=user,
                       details="My street name is misspelt.")
due = request.due_at
print(json.dumps({{"request": str(request.id), "due": f"{{due.day}} {{due:%B %Y}}"}}))
"""


def _customer(base: str, var_dir: Path) -> tuple[str, dict[str, str]]:
    email = f"restrict.{secrets.token_hex(4)}@example.com"
    script = PREPARE.format(email=email, password=CUSTOMER_PASSWORD)
    made = json.loads(_lookout(var_dir, "shell", "-c", script).strip().splitlines()[-1])
    return email, made


def _customer_sign_in(page: Page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(CUSTOMER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.commitment("C6.8")
def test_the_officer_extends_a_request_and_the_person_sees_the_reason(
    backoffice,  # noqa: F811
    browser,
    screenshots_dir: Path,
) -> None:
    base, var_dir, _ = backoffice
    email, made = _customer(base, var_dir)
    request_id = made["request"]

    # the officer opens the request and extends it by 45 days, with a reason
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _sign_in(page, base, "privacy_officer")
    page.goto(f"{base}/privacy/queue/{request_id}/")
    form = page.locator("form.extend-form")
    days = form.get_by_label("Extra days")
    days.fill("61")
    form.get_by_label("Reason the person will see").select_option("complex")
    form.get_by_role("button", name="Extend the due date").click()
    # more than 60 days is refused before it is sent (the server refuses it too: unit tests)
    assert days.evaluate("e => e.validity.rangeOverflow")
    expect(page.locator("form.extend-form")).to_have_count(1)
    form.get_by_label("Extra days").fill("45")
    form.get_by_label("Reason the person will see").select_option("complex")
    form.get_by_role("button", name="Extend the due date").click()
    expect(page.get_by_text("it cannot be extended again")).to_be_visible()
    expect(page.locator("form.extend-form")).to_have_count(0)
    new_due = page.locator("dd.due").inner_text()
    # as a person reads dates ("6 January 2027 (extended from 7 December 2026)")
    assert re.match(r"\d{1,2} [A-Z][a-z]+ 20\d\d \(extended from ", new_due), new_due
    assert f"extended from {made['due']}" in new_due
    context.close()

    # the person, on a phone, sees the new date and the reason, and the message in the inbox
    phone = browser.new_context(viewport=PHONE)
    mobile = phone.new_page()
    _customer_sign_in(mobile, base, email, f"/privacy/requests/{request_id}/")
    expect(mobile.locator("dd.due")).to_contain_text(f"extended from {made['due']}")
    expect(mobile.locator("p.extension-reason")).to_contain_text(COMPLEX)
    _fits(mobile)
    mobile.screenshot(path=str(screenshots_dir / "privacy-extension-phone.png"), full_page=True)
    mobile.goto(f"{base}/inbox/")
    expect(mobile.get_by_text("We need more time to answer your request")).to_be_visible()
    phone.close()


@pytest.mark.commitment("C6.9")
def test_a_person_restricts_processing_and_the_officer_lifts_it_with_a_reason(
    backoffice,  # noqa: F811
    browser,
    screenshots_dir: Path,
) -> None:
    base, var_dir, _ = backoffice
    email, _ = _customer(base, var_dir)

    # the person asks from the privacy centre, on a phone, with the keyboard alone
    phone = browser.new_context(viewport=PHONE)
    mobile = phone.new_page()
    _customer_sign_in(mobile, base, email, "/privacy/")
    form = mobile.locator("form.restriction-form")
    form.get_by_label("I contest the accuracy of my data").focus()
    mobile.keyboard.press("Space")
    form.get_by_label("Your password").focus()
    mobile.keyboard.type(CUSTOMER_PASSWORD)
    mobile.keyboard.press("Enter")
    expect(mobile.locator("p.notice[role=status]")).to_contain_text("restricted from now on")
    expect(mobile.locator("p.restriction-status")).to_contain_text("Restricted since")
    _fits(mobile)
    mobile.screenshot(path=str(screenshots_dir / "privacy-restriction-phone.png"), full_page=True)

    # the officer sees it on the queue and lifts it with a reason
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _sign_in(page, base, "privacy_officer")
    page.goto(base + "/privacy/queue/")
    rows = page.locator("table.restrictions tbody tr", has_text="I contest the accuracy")
    row = rows.last
    row.get_by_label("Reason the person will see").select_option("accuracy_checked")
    row.get_by_role("button", name="Lift the restriction").click()
    expect(page.get_by_role("heading", name="Restrictions of processing in force")).to_be_visible()
    context.close()

    # the person sees it lifted, and why
    mobile.goto(base + "/privacy/")
    expect(mobile.locator("p.restriction-status")).to_contain_text(ACCURACY_CHECKED)
    mobile.goto(f"{base}/inbox/")
    expect(mobile.get_by_text("The restriction of your data is lifted")).to_be_visible()
    phone.close()
