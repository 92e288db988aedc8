"""The analytics script in a real Chromium: a page visit is stored from one batch, and no event
is sent under a consent given after it happened (C2.4, C7.3).

Playwright does not report beacons sent while a page unloads, so the test reads what the live
server stored: the events of one beacon share their `occurred_at` (the server's clock at
ingestion).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from lookout.consent.cookies import VISITOR_COOKIE
from tests.e2e.conftest import DESKTOP

pytestmark = pytest.mark.browser
Row = tuple[int, str, str, str, int, int | None, str]


@pytest.fixture
def stored(live_server_url, tmp_path_factory) -> Callable[..., list[Row]]:
    """Events the live server stored since the test began, for the given paths."""
    found = {p.resolve() for p in tmp_path_factory.getbasetemp().glob("e2e-var*/lookout.sqlite3")}
    assert len(found) == 1, found
    db = found.pop()

    def query(sql: str, *params: object) -> list:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()

    start = query("SELECT COALESCE(MAX(id), 0) FROM analytics_event")[0][0]

    def events(*paths: str, count: int) -> list[Row]:
        marks = ", ".join("?" * len(paths))
        sql = (
            "SELECT id, kind, path, sku, linked, dwell_seconds, occurred_at FROM analytics_event"
            f" WHERE id > ? AND path IN ({marks}) ORDER BY id"
        )
        deadline = time.monotonic() + 15
        while True:
            rows = query(sql, start, *paths)
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.2)

    return events


def _product(page: Page, site: str) -> tuple[str, str]:
    page.goto(site + "/c/indoor-cameras/")
    page.locator(".card:has(.stock.in) .card-link").first.click()
    sku = page.locator(".product-info [data-sku]").first.get_attribute("data-sku") or ""
    return sku, page.evaluate("location.pathname")


def test_a_page_visit_is_stored_from_one_beacon(live_server_url, browser, stored):
    site = live_server_url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sku, product_path = _product(page, site)
    page.wait_for_timeout(1200)
    page.goto(site + "/search/?q=camera")
    page.goto(site + "/policies/privacy/")
    rows = stored(product_path, "/search/", count=4)
    kinds = [(kind, path) for _, kind, path, *_ in rows]
    assert kinds == [
        ("view", product_path),
        ("dwell", product_path),
        ("view", "/search/"),
        ("search", "/search/"),
    ]
    (_, _, _, view_sku, _, _, viewed), (_, _, _, dwell_sku, _, seconds, dwelled) = rows[:2]
    assert view_sku == dwell_sku == sku and seconds >= 1
    assert viewed == dwelled, "a product page's view and dwell travel in one beacon"
    assert rows[2][-1] == rows[3][-1], "a search page's view and search travel together"
    context.close()


@pytest.mark.commitment("C2.4", "C7.3")
def test_events_are_sent_under_the_consent_they_happened_under(live_server_url, browser, stored):
    site = live_server_url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    # the view of this page is still queued when the visitor accepts analytics on it ...
    page.goto(site + "/c/outdoor-cameras/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_load_state("networkidle")
    assert any(c["name"] == VISITOR_COOKIE for c in context.cookies())
    # ... then the visitor browses on
    page.goto(site + "/compare/")
    page.goto(site + "/policies/privacy/")
    rows = stored("/c/outdoor-cameras/", "/compare/", count=3)
    linked = [(path, bool(linked)) for _, kind, path, _, linked, _, _ in rows if kind == "view"]
    # the view before the choice went out before it, without the visitor cookie; the views
    # after it (the page reloaded under the choice, then the next page) are linked
    assert linked == [
        ("/c/outdoor-cameras/", False),
        ("/c/outdoor-cameras/", True),
        ("/compare/", True),
    ]
    context.close()
