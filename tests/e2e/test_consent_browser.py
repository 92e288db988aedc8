"""Cookie consent in a real Chromium (C7.3, C7.4, C7.5): first visits with GPC, Accept, Reject and
with every cookie blocked. A registered marketing script, served by a second local server (a
different origin), must not be requested before opt-in and must run only after it.

This module runs its own granian server, so that it can register the third-party script in that
server's database before the first request.
"""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from lookout.testing.ports import free_port
from tests.e2e.conftest import BIN, DESKTOP, ROOT, _lookout, prepare_site

# In the SQLite pass of `make test` (a site of its own whatever the pass): the PostgreSQL pass
# has the longer share of the other work (root conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.database_independent]
PIXEL_JS = b"window.lookoutPixelRuns = (window.lookoutPixelRuns || 0) + 1;\n"
PAGES = ["/", "/c/outdoor-cameras/", "/search/?q=kestrel", "/cookies/"]


class _Pixel(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Pixel.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript")
        self.send_header("Content-Length", str(len(PIXEL_JS)))
        self.end_headers()
        self.wfile.write(PIXEL_JS)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def third_party() -> Iterator[str]:
    """A second origin (another port on 127.0.0.1) serving a tiny marketing script."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, third_party: str) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("consent-var")
    env = prepare_site(var_dir)
    _lookout(
        env,
        "shell",
        "-c",
        "from lookout.consent.services import register_script; "
        f"register_script(name='Test pixel', category='marketing', src='{third_party}/pixel.js')",
    )
    port = free_port()
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "lookout.wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2):  # noqa: S310
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((var_dir / "server.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _foreign_requests(page: Page, origin: str) -> list[str]:
    """Every request the page makes to an origin other than the shop's."""
    seen: list[str] = []

    def on_request(request) -> None:  # type: ignore[no-untyped-def]
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" != origin:
            seen.append(request.url)

    page.on("request", on_request)
    return seen


def _prices(page: Page) -> dict[str, Decimal]:
    return {
        el.get_attribute("data-sku") or "": Decimal(el.inner_text().strip("$ ").replace(",", ""))
        for el in page.locator(".price .now[data-sku]").all()
    }


def _browse(page: Page, site: str) -> dict[str, Decimal]:
    prices: dict[str, Decimal] = {}
    for path in PAGES:
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        prices |= _prices(page)
    return prices


def _pixel_ran(page: Page) -> int:
    return page.evaluate("window.lookoutPixelRuns || 0")


def _banner(page: Page):
    return page.locator("#consent-banner")


@pytest.mark.commitment("C7.3", "C7.5")
def test_accept_loads_the_marketing_script_only_after_opt_in(browser, site, third_party):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    foreign = _foreign_requests(page, site)
    # given a first visit: banner, nothing from another origin, no cookie
    before = _browse(page, site)
    page.goto(site + "/")
    expect(_banner(page)).to_be_visible()
    accept = page.get_by_role("button", name="Accept all")
    reject = page.get_by_role("button", name="Reject all")
    a, r = accept.bounding_box(), reject.bounding_box()
    assert a and r and (a["width"], a["height"]) == (r["width"], r["height"])
    assert foreign == [] and context.cookies() == [] and _pixel_ran(page) == 0
    # when they accept
    accept.click()
    page.wait_for_load_state("networkidle")
    # then the banner is gone, the pixel loads from its own origin and runs once
    expect(_banner(page)).to_have_count(0)
    assert foreign and all(url.startswith(third_party) for url in foreign)
    assert _pixel_ran(page) == 1
    response = page.goto(site + "/c/outdoor-cameras/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert third_party in policy, "add ConsentCSPMiddleware to MIDDLEWARE (see consent/middleware)"
    assert _pixel_ran(page) == 1
    # ... the receipt id is on the cookie page, and prices did not change
    page.goto(site + "/cookies/")
    assert len(page.locator(".receipt-id").inner_text()) == 36
    assert _browse(page, site) == before
    context.close()


@pytest.mark.commitment("C7.3", "C7.5", "C7.4")
def test_reject_keeps_everything_off(browser, site):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    foreign = _foreign_requests(page, site)
    page.goto(site + "/c/outdoor-cameras/")
    before = _prices(page)
    page.get_by_role("button", name="Reject all").click()
    expect(page).to_have_url(site + "/c/outdoor-cameras/")
    expect(_banner(page)).to_have_count(0)
    assert [c["name"] for c in context.cookies()] == ["lookout_consent"]
    assert _prices(page) == before
    _browse(page, site)
    assert foreign == [] and _pixel_ran(page) == 0
    context.close()


@pytest.mark.commitment("C7.3", "C7.5")
def test_global_privacy_control_counts_as_reject(browser, site):
    context = browser.new_context(viewport=DESKTOP, extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    foreign = _foreign_requests(page, site)
    page.goto(site + "/")
    expect(_banner(page)).to_contain_text("Global Privacy Control")
    expect(page.get_by_role("button", name="Accept all")).to_have_count(0)
    page.get_by_role("button", name="OK, keep everything off").click()
    page.goto(site + "/cookies/")
    expect(page.locator(".consent-page")).to_contain_text("Global Privacy Control honoured")
    expect(page.locator(".consent-page")).to_contain_text("Analytics: off")
    # even an explicit accept on the cookie page stays a reject under GPC
    page.get_by_role("button", name="Accept all").click()
    _browse(page, site)
    assert [c["name"] for c in context.cookies()] == ["lookout_consent"]
    assert foreign == [] and _pixel_ran(page) == 0
    context.close()


@pytest.mark.commitment("C7.4", "C7.5")
def test_with_cookies_blocked_no_banner_asks_and_nothing_breaks(cookie_blocking_context, site):
    page = cookie_blocking_context.new_page()
    foreign = _foreign_requests(page, site)
    page.goto(site + "/c/indoor-cameras/")
    # no choice could be stored, and none is needed: nothing is set or loaded without one, so
    # the banner does not ask on every page (issue 22); the shop still works
    expect(_banner(page)).to_be_hidden()
    page.locator(".card:has(.stock.in) .card-link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(_banner(page)).to_be_hidden()
    expect(page.locator("#cart-total")).to_be_visible()
    assert cookie_blocking_context.cookies() == []
    assert foreign == [] and _pixel_ran(page) == 0
