"""`make screenshots`: every main page of the store and of the back office (the catalog manager's
Django admin included), at desktop (1280 px) and phone (390 px) widths, into
var/screenshots/<page>-desktop.png and <page>-phone.png, so a reviewer can look at the whole site
in a minute.

It starts a throwaway site of its own, as the browser tests do (tests/e2e/conftest.py
prepare_site: fresh SQLite files and key file in a temporary folder, the demo catalog and
policies, the real granian server), and makes the people, orders, requests, messages and staff of
each role the pages need with the accessibility sweep's script (tests/e2e/test_accessibility.py
PREPARE: known passwords and second-factor secrets, so each role signs in). The page list is that
sweep's (PAGES), plus each checkout step a guest goes through (cart, delivery form, its errors,
payment page, declined card, confirmation). Debian's Chromium (/usr/bin/chromium) is driven by
Playwright: nothing is downloaded. The developer's var/ database is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from lookout.testing.ports import free_port  # noqa: E402
from sandbox_processor.shopper import future_expiry  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    BIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    _lookout,
    prepare_site,
)
from tests.e2e.test_accessibility import (  # noqa: E402
    DESKTOP,
    PAGES,
    PHONE,
    PREPARE,
    SELF_AUDIT,
    Sessions,
    _fill_delivery,
    _open,
)

OUT = ROOT / "var" / "screenshots"


def _start_server(env: dict[str, str], var_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own commands)
        [str(BIN / "granian"), "--interface", "wsgi", "lookout.wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server, url
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start:\n" + (var_dir / "server.log").read_text())
        time.sleep(0.2)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


class Shots:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.taken: list[Path] = []
        self.failed: list[str] = []

    def take(self, page: Page, name: str, width: str) -> None:
        path = self.out / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        print(_shown(path), flush=True)

    def both(self, page: Page, name: str) -> None:
        """This page as it is now, at desktop then phone width (the same page, resized)."""
        page.set_viewport_size(DESKTOP)
        self.take(page, name, "desktop")
        page.set_viewport_size(PHONE)
        self.take(page, name, "phone")
        page.set_viewport_size(DESKTOP)


def _pages(
    shots: Shots, sessions: Sessions, made: dict[str, Any], only: str, audit: Callable[[], None]
) -> None:
    for visit in PAGES:
        if only and not re.search(only, visit.id):
            continue
        try:
            if visit.needs == "self_audit":
                audit()
            for phone in (False, True):
                page = _open(sessions, made, visit, phone=phone)
                shots.take(page, visit.id, "phone" if phone else "desktop")
        except Exception as error:  # one page failing must not stop the others
            shots.failed.append(f"{visit.id}: {str(error).splitlines()[0]}")


def _checkout(shots: Shots, browser: Browser, base: str, made: dict[str, Any]) -> None:
    """A guest's checkout, each step captured: a declined card first, then an accepted one."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{base}/p/{made['product']}/")
        page.locator("#consent-banner button[value=reject]").click()
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
        shots.both(page, "cart")
        page.get_by_role("link", name="Check out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
        page.goto(page.url.split("?")[0] + "?country=GB")  # a UK address (_fill_delivery)
        shots.both(page, "checkout-delivery")
        page.get_by_role("button", name=re.compile("Place order and pay")).click()
        expect(page.locator(".errorlist, [aria-invalid=true]").first).to_be_visible()
        shots.both(page, "checkout-delivery-errors")
        _fill_delivery(page)
        page.get_by_role("button", name=re.compile("Place order and pay")).click()
        expect(page.get_by_label("Card number")).to_be_visible()
        shots.both(page, "payment-page")
        page.get_by_label("Card number").fill("4000 0000 0000 0002")
        page.get_by_label("Expiry (MM/YY)").fill(future_expiry())
        page.get_by_label("CVC").fill("123")
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(page.locator("#payment-message")).to_contain_text("declined")
        shots.both(page, "payment-declined")
        page.goto(f"{base}/p/{made['product']}/")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_role("link", name="Check out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
        page.goto(page.url.split("?")[0] + "?country=GB")
        _fill_delivery(page)
        page.get_by_role("button", name=re.compile("Place order and pay")).click()
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_label("Expiry (MM/YY)").fill(future_expiry())
        page.get_by_label("CVC").fill("123")
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(page.locator("#order-status")).to_have_attribute("data-status", "paid")
        shots.both(page, "confirmation")
    except Exception as error:
        shots.failed.append(f"checkout: stopped at {page.url}: {str(error).splitlines()[0]}")
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="a regular expression: only pages it finds")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(CHROMIUM_MISSING, file=sys.stderr)
        return 2
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.only:  # a full run replaces the whole set; --only replaces just its pages
        for old in args.out.glob("*.png"):
            old.unlink()
    # The site runs this checkout's code, even from a venv another worktree installed into.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    base_dir = Path(tempfile.mkdtemp(prefix="lookout-screenshots-"))
    try:
        return _run(args, base_dir)
    except subprocess.CalledProcessError as error:
        print(f"{error.cmd[1:3]} failed:\n{(error.stderr or '')[-3000:]}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(base_dir, ignore_errors=True)


def _run(args: argparse.Namespace, base_dir: Path) -> int:
    server = audit_run = None
    try:
        print("Preparing a throwaway site (demo catalog, people, orders, staff)…", flush=True)
        env = prepare_site(base_dir / "site")
        made = json.loads(_lookout(env, "shell", "-c", PREPARE).stdout.strip().splitlines()[-1])
        audit_run = subprocess.Popen(  # noqa: S603 (our own commands)
            [str(BIN / "lookout"), "shell", "-c", SELF_AUDIT],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server, base = _start_server(env, base_dir / "site")

        def audit() -> None:  # the self-audit page shows the stored run
            assert audit_run is not None
            audit_run.wait(timeout=600)

        shots = Shots(args.out)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            sessions = Sessions(browser, base)
            try:
                _pages(shots, sessions, made, args.only, audit)
                if not args.only or re.search(args.only, "checkout cart payment confirmation"):
                    _checkout(shots, browser, base, made)
            finally:
                sessions.close()
                browser.close()
    finally:
        for process in (server, audit_run):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
    print(f"{len(shots.taken)} screenshots in {_shown(args.out)}/", flush=True)
    for failure in shots.failed:
        print("not captured:", failure, file=sys.stderr)
    if not shots.taken:
        print(f"no page's name matches --only {args.only!r}", file=sys.stderr)
    return 1 if shots.failed or not shots.taken else 0


if __name__ == "__main__":
    sys.exit(main())
