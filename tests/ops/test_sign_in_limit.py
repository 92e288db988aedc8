"""Parallel wrong passwords against the real server never get more checks than the limit
(issue 19, findings 1 and 2 of the 2026-12 attack; decision 0032).

The attack: 24 wrong passwords sent at once got 8 checked against a limit of 5, because the
limiter read "under the limit?" before the slow password check and wrote the failure after it;
and /admin/login/ had no limit at all. Here the real server (granian, 2 processes x 4 threads)
runs on a fresh database (SQLite, or PostgreSQL when the pass has DATABASE_URL) with the
project's real hasher, which notes each password check in a file from inside the server
(tests/ops/counting_hasher.py): the test counts the checks the server really made.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from lookout.core.serving import granian_command
from lookout.testing.sites import KEY_FILE_STEP
from tests.ops.conftest import REPO, clean_env
from tests.ops.test_concurrency import free_port, wait_for_port

LIMIT = 5
PARALLEL = 24
EMAILS = ("first.staff@example.com", "second.staff@example.com")
PASSWORD = "the-right-long-password"


@dataclass
class Site:
    port: int
    checks: Path

    def checks_made(self) -> int:
        return len(self.checks.read_text().splitlines()) if self.checks.exists() else 0


def _databases(tmp: Path) -> Iterator[dict[str, str]]:
    """Fresh databases for the server: its own SQLite files (main and key store), or, in the
    PostgreSQL pass, two fresh PostgreSQL databases."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield {}
        return
    import psycopg

    base, _ = url.rsplit("/", 1)
    names = [f"lookout_limit_{uuid.uuid4().hex[:12]}{suffix}" for suffix in ("", "_keys")]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": f"{base}/{names[0]}", "KEYSTORE_DATABASE_URL": f"{base}/{names[1]}"}
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The fresh PostgreSQL databases migrated as `make run` migrates them, except that the key store
# is migrated for the vault only: it holds the vault's table alone (lookout.vault.routers), and
# migrating every app there made the same tables (the same schema, pg_dump shows) after
# rendering every app's migration state again, about 4 s of CPU.
POSTGRES_STEPS = (
    "run('migrate', interactive=False, verbosity=0)",
    "run('migrate', 'vault', database='keystore', interactive=False, verbosity=0)",
    "run('createcachetable', verbosity=0)",
)


@pytest.fixture(scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The real server on fresh databases with one staff account per test (the admin lets
    staff in). The per-network limit is set out of the way: these tests are about the account's;
    lookout/accounts/tests/test_limiter.py proves the network's.

    The databases: in the SQLite pass a copy of the session's migrated site (tests/ops/
    conftest.py: `migrated_site`, which the pass's other operator tests use too), not a second
    migration of both databases (about 10 s of CPU); in the PostgreSQL pass two fresh databases,
    migrated here."""
    tmp = tmp_path_factory.mktemp("limit")
    checks = tmp / "checks.log"
    databases = _databases(tmp)
    urls = next(databases)
    if urls:
        steps: tuple[str, ...] = POSTGRES_STEPS
    else:
        shutil.copytree(request.getfixturevalue("migrated_site"), tmp, dirs_exist_ok=True)
        steps = ()
    env = clean_env(
        tmp,
        LOOKOUT_ENV="development",
        LOOKOUT_DEBUG="0",
        LOOKOUT_MASTER_KEY_FILE=str(tmp / "master-keyset.json"),
        LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT=str(LIMIT),
        LOOKOUT_LOGIN_LIMIT_PER_IP="1000",
        LOOKOUT_TEST_CHECKS_FILE=str(checks),
        DJANGO_SETTINGS_MODULE="tests.ops.sign_in_limit_settings",
        **urls,
    )
    setup = "; ".join(
        (
            "from django.core.management import call_command as run",
            KEY_FILE_STEP,
            *steps,
            "from lookout.accounts.services import create_account",
            *(
                f"create_account(email={email!r}, password={PASSWORD!r}, role='catalog_manager')"
                for email in EMAILS
            ),
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "lookout.cli", "shell", "-c", setup],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            granian_command(
                host="127.0.0.1", port=port, workers=2, threads=4, target="lookout.wsgi:application"
            ),
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, server, log)
        yield Site(port=port, checks=checks)
    finally:
        server.terminate()
        server.wait(timeout=30)
        next(databases, None)
        assert "Traceback" not in log.read_text(), log.read_text()


class Visitor:
    """One browser: its cookies and the CSRF token of the sign-in form it was shown."""

    def __init__(self, port: int, email: str) -> None:
        self.email = email
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirects(),
        )
        with self.opener.open(self.base + "/accounts/login/", timeout=30) as page:
            html = page.read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert found, "the sign-in page has a CSRF token"
        self.token = found.group(1)

    def post(self, path: str, fields: dict[str, str]) -> int:
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.token}).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def sign_in(self, password: str) -> int:
        return self.post("/accounts/login/", {"email": self.email, "password": password})

    def admin_sign_in(self, password: str) -> int:
        return self.post("/admin/login/", {"username": self.email, "password": password})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # a 302 is the answer itself (signed in), not a page to follow


def _burst(calls: list) -> list[int]:  # type: ignore[type-arg]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@pytest.mark.commitment("C4.7")
def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(site: Site):
    # given a visitor and a limit of 5 per account
    visitor = Visitor(site.port, EMAILS[0])
    # (the module's other test may have run first on the same server: count from here)
    start = site.checks_made()
    # when 24 wrong passwords arrive at once
    answers = _burst([lambda n=n: visitor.sign_in(f"wrong-guess-{n}") for n in range(PARALLEL)])
    # then the server checked exactly the limit's worth, and refused the rest unchecked
    assert site.checks_made() - start == LIMIT
    assert Counter(answers) == {400: LIMIT, 429: PARALLEL - LIMIT}
    # and while the limit holds, the right password is refused, here and at the admin's door
    before = site.checks_made()
    assert visitor.sign_in(PASSWORD) == 429
    assert Visitor(site.port, EMAILS[0]).admin_sign_in(PASSWORD) == 429
    assert site.checks_made() == before


@pytest.mark.commitment("C4.7")
def test_the_admin_sign_in_shares_the_limit_even_in_parallel(site: Site):
    """Finding 1: /admin/login/ checked every staff password given to it, without limit. Now
    it goes through the same limiter and the same per-account count as the store's sign-in."""
    # given wrong passwords for one staff account at both doors at once
    visitor = Visitor(site.port, EMAILS[1])
    before = site.checks_made()
    calls = [lambda n=n: visitor.admin_sign_in(f"wrong-{n}") for n in range(PARALLEL // 2)]
    calls += [lambda n=n: visitor.sign_in(f"wrong-{n}") for n in range(PARALLEL // 2)]
    # when they all arrive together
    answers = _burst(calls)
    # then the two doors together checked no more than the limit
    assert site.checks_made() - before == LIMIT
    assert Counter(answers)[429] == PARALLEL - LIMIT
    # and the right password opens neither door while the limit holds
    assert visitor.admin_sign_in(PASSWORD) == 429
    assert visitor.sign_in(PASSWORD) == 429
    assert site.checks_made() - before == LIMIT
