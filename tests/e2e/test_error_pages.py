"""Error pages for people (issue 22, item 3): 400, 403, 404, 429 and 500 in the shop's design,
each saying what to do next; none shows a stack trace, the list of routes or personal data, and
the 500 page shows even when the database is down. `make run` (the development profile) serves
these pages too, not Django's debug pages.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lookout.testing.ports import free_port
from tests.e2e.conftest import DESKTOP, PHONE, ROOT

pytestmark = pytest.mark.browser

LEAKS = re.compile(r"Traceback|URLconf|urlpatterns|OperationalError|sqlite|psycopg|DEBUG", re.I)


def _in_the_shops_design(page: Page) -> None:
    """The storefront's header and footer, its stylesheet, and a way on."""
    expect(page.get_by_role("link", name="Lookout home")).to_be_visible()
    expect(page.locator("footer")).to_contain_text("Privacy Policy")
    assert page.locator('link[rel="stylesheet"][href*="site.css"]').count() == 1
    expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the shop's home page")).to_be_visible()
    assert not LEAKS.search(page.content())


def test_a_missing_page_says_what_to_do_next_and_lists_no_route(live_server_url, browser):
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        response = page.goto(live_server_url + "/no-such-page/?email=ada@example.com")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
        expect(page.locator(".next-steps")).to_contain_text("search for the product")
        _in_the_shops_design(page)
        # nothing the visitor sent is echoed
        assert "ada@example.com" not in page.content()
        # the shop's categories are still there to browse
        expect(page.get_by_role("navigation", name="Categories")).to_be_visible()
        context.close()


def test_a_bad_request_gets_the_400_page(live_server_url):
    # a Host header the site does not serve is refused by Django itself (handler400)
    port = int(live_server_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/", headers={"Host": "evil.example"})
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 400
    assert "Bad request" in body and "What you can do" in body and "Privacy Policy" in body
    assert "evil.example" not in body
    assert not LEAKS.search(body)


def test_an_expired_form_gets_the_403_page(live_server_url, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server_url + "/accounts/login/")
    context.clear_cookies()  # the form's CSRF cookie is gone, as after a browser restart
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Password").fill("not the password")
    with page.expect_response(re.compile(r"/accounts/login/$")) as answer:
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()
    _in_the_shops_design(page)
    context.close()


def test_too_many_sign_in_attempts_get_a_429_page_saying_when_to_try_again(
    live_server_url, browser
):
    context = browser.new_context()
    page = context.new_page()
    statuses: list[int] = []
    # The limit per account is 5 a window, and windows follow the clock: the 6th attempt is
    # refused, or, when this test happens to straddle the end of a window (the counters start
    # again), the 6th of the next one. 11 attempts always reach a refusal.
    while 429 not in statuses and len(statuses) < 11:
        page.goto(live_server_url + "/accounts/login/")
        page.get_by_label("Email").fill("nobody-429@example.com")
        page.get_by_label("Password").fill("wrong password")
        with page.expect_response(re.compile(r"/accounts/login/$")) as answer:
            page.get_by_role("button", name="Sign in", exact=True).click()
        statuses.append(answer.value.status)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    assert len(statuses) >= 6  # five wrong passwords are answered before the refusal
    assert answer.value.headers.get("retry-after")
    expect(page.get_by_role("alert").first).to_contain_text(re.compile(r"try again in \d+ minute"))
    expect(page.locator("footer")).to_contain_text("Privacy Policy")
    context.close()


def test_the_json_api_keeps_problem_json_for_its_refusals(live_server_url):
    request = urllib.request.Request(  # noqa: S310
        live_server_url + "/api/v1/products/no-such-product", headers={"Accept": "text/html"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert refused.value.code == 404
    assert refused.value.headers.get_content_type() in (
        "application/json",
        "application/problem+json",
    )
    assert "<html" not in refused.value.read().decode()


@pytest.fixture
def server_without_database(tmp_path: Path) -> Iterator[str]:
    """The `make run` profile (development, LOOKOUT_DEBUG unset) whose database cannot be
    opened: every page that reads it fails."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LOOKOUT_DEBUG", "DATABASE_URL", "KEYSTORE_DATABASE_URL")
    }
    env |= {
        "LOOKOUT_ENV": "development",
        "LOOKOUT_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "lookout.settings",
        "DATABASE_URL": "sqlite:////nonexistent/lookout/db.sqlite3",
    }
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "lookout.wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((tmp_path / "server.log").read_text()[-3000:]) from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_with_the_database_down_pages_answer_the_500_page_not_a_debug_page(
    server_without_database, browser
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    for path in ("/", "/c/outdoor-cameras/", "/accounts/login/"):
        response = page.goto(server_without_database + path)
        assert response is not None and response.status == 500
        expect(page.get_by_role("heading", name="Something went wrong", level=1)).to_be_visible()
        expect(page.locator(".next-steps")).to_contain_text("reload the page")
        _in_the_shops_design(page)
    # a missing page is still a 404, from the same static page
    response = page.goto(server_without_database + "/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible()
    assert not LEAKS.search(page.content())
    assert [p for p in problems if "Content Security Policy" in p] == []
    context.close()
