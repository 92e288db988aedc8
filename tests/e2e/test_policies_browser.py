"""The policy comparison page in a real Chromium against the real server (C8.1, C8.2).

A second version of the Privacy Policy is published with `lookout policy publish` into the live
server's own database, then a visitor without an account reads the announcement and the
comparison; the page is saved as var/screenshots/policy-comparison.png.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BIN, DESKTOP, ROOT

pytestmark = pytest.mark.browser

NEW_TEXT_FROM = "cut short so that it cannot locate you"
NEW_TEXT_TO = "cut short (an IPv4 address to its first three parts) so that it cannot locate you"


def _live_var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The var dir the session's live server runs from (made by `live_server_url`)."""
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*/lookout.sqlite3"))
    assert len(found) == 1, found
    return found[0].parent


@pytest.fixture(scope="module")
def second_privacy_version(live_server_url: str, tmp_path_factory: pytest.TempPathFactory):
    var_dir = _live_var_dir(tmp_path_factory)
    source = (ROOT / "lookout" / "policies" / "texts" / "privacy-v1.md").read_text("utf-8")
    assert NEW_TEXT_FROM in source
    new = var_dir / "privacy-v2.md"
    new.write_text(source.replace(NEW_TEXT_FROM, NEW_TEXT_TO), encoding="utf-8")
    env = {
        **os.environ,
        "LOOKOUT_VAR_DIR": str(var_dir),
        "LOOKOUT_ENV": "development",
        "LOOKOUT_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "lookout.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("KEYSTORE_DATABASE_URL", None)
    subprocess.run(
        [str(BIN / "lookout"), "policy", "publish", "privacy", "--file", str(new),
         "--summary", "We say exactly how we shorten IP addresses."],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return live_server_url


@pytest.mark.commitment("C8.1", "C8.2")
def test_a_visitor_reads_the_announcement_and_the_comparison(
    second_privacy_version: str, browser, screenshots_dir: Path
) -> None:
    base = second_privacy_version
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        # Given a visitor on the privacy policy, when a new version was just posted
        page.goto(base + "/policies/privacy/")
        banner = page.locator(".policy-banner")
        expect(banner).to_contain_text("our Privacy Policy was updated")
        # When they follow "See what changed"
        banner.get_by_role("link", name="See what changed").click()
        # Then the side-by-side comparison shows the removed and the added words
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "what changed from version 1 to version 2"
        )
        expect(page.locator("table.diff td.new ins").first).to_contain_text("IPv4")
        expect(page.locator("table.diff tr.changed")).to_have_count(1)
        page.screenshot(path=str(screenshots_dir / "policy-comparison.png"), full_page=True)
        # And the inline layout shows the same change
        page.get_by_label("Layout").select_option("inline")
        page.get_by_role("button", name="Show").click()
        expect(page.locator(".diff.inline .added ins").first).to_contain_text("IPv4")
        page.screenshot(path=str(screenshots_dir / "policy-comparison-inline.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
