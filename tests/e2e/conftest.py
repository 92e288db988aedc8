"""Browser-test harness: a fresh SQLite database, the demo catalog, a REAL granian server, and
Debian's Chromium driven by Playwright (never a downloaded browser).

The server runs with LOOKOUT_ENV=development and DEBUG off, from a temporary LOOKOUT_VAR_DIR,
so the test never touches the developer's var/ database or keys.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from lookout.testing.parts import in_ci, missing
from lookout.testing.ports import free_port
from lookout.testing.sites import site_setup_code

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


CHROMIUM_MISSING = f"{CHROMIUM} is not installed: apt-get install chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Chromium every browser test skips; in CI none does: each fails as it asks
    for the browser (lookout.testing.parts)."""
    if not Path(CHROMIUM).exists() and not in_ci():
        skip = pytest.mark.skip(reason=f"missing part: Chromium ({CHROMIUM_MISSING})")
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(skip)


def _lookout(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "lookout"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _site_env(var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "LOOKOUT_VAR_DIR": str(var_dir),
        "LOOKOUT_ENV": "development",
        "LOOKOUT_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "lookout.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("KEYSTORE_DATABASE_URL", None)
    return env


def _build_site(var_dir: Path) -> None:
    """Create the databases and key file in `var_dir` and load the demo catalog, in one
    process (lookout.testing.sites)."""
    _lookout(
        _site_env(var_dir),
        "shell",
        "-c",
        # the catalog, the policies and the checkout's partners (not the demo's people and
        # orders: each browser test makes the people it needs)
        site_setup_code(
            "from lookout.catalog import demo as c",
            "from lookout.orders import demo as o",
            "from lookout.policies import demo as p",
            "[m.load(progress=lambda m: None) for m in (c, p)]",
            "o.ensure_partners()",
        ),
    )


_templates: dict[Path, Path] = {}


def prepare_site(var_dir: Path) -> dict[str, str]:
    """A fresh site in `var_dir` (databases, key file, demo catalog), as `_build_site` makes it.

    The site is built once per session, in a folder beside `var_dir` that no server ever uses,
    and each caller gets a copy of its files: every module's server still starts on a site
    nobody has used, without running the migrations and the catalog load again (about 10 s of
    CPU each; three modules build one)."""
    base = var_dir.parent
    template = _templates.get(base)
    if template is None:
        template = base / "e2e-site-template"
        template.mkdir()
        _build_site(template)
        _templates[base] = template
    shutil.copytree(template, var_dir, dirs_exist_ok=True)
    return _site_env(var_dir)


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("e2e-var")
    env = prepare_site(var_dir)
    port = free_port()
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "lookout.wsgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(
                    "granian did not start:\n" + (var_dir / "server.log").read_text()[-3000:]
                )
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        missing("Chromium", CHROMIUM_MISSING)

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def cookie_blocking_context(playwright_instance, tmp_path):
    """A Chromium profile whose content settings block ALL cookies, as a privacy-minded visitor
    would set it (Settings → Privacy → "Block all cookies")."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    prefs = {
        "profile": {
            "default_content_setting_values": {"cookies": 2},
            "block_third_party_cookies": True,
        }
    }
    (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
    context = playwright_instance.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=DESKTOP,
    )
    yield context
    context.close()


@pytest.fixture
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# The last time step whose code this process typed for each secret: the server refuses a code
# of that step or an earlier one (accounts.otp refuses a replay), so the next sign-in types a
# later one instead of trying used codes, which the sign-in limiter would count as wrong.
_last_step: dict[str, int] = {}


def pass_second_factor(page: Any, secret: str, who: str) -> None:
    """Type the authenticator's code on the second-factor page and get past it.

    Every browser test on a server signs the same demo staff in, often several times in one
    30 s window. The server accepts the current window's code and the next one's (one step of
    clock drift, accounts.otp.VALID_WINDOW), each once: so this types the first step not used
    yet, waiting for a new window only when both are used. No code is typed twice."""
    totp = pyotp.TOTP(secret)
    for _ in range(3):
        now = int(time.time()) // totp.interval
        step = max(now, _last_step.get(secret, now - 1) + 1)
        if step > now + 1:  # both used: wait until the step before it is the current one
            time.sleep((step - 1) * totp.interval - time.time() + 0.2)
        _last_step[secret] = step
        page.get_by_label("6-digit code").fill(totp.at(step * totp.interval))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        if page.get_by_label("6-digit code").count() == 0:
            return
    raise AssertionError(f"{who} could not pass the second factor")
