"""The production profile (C4.1): refuses to start half-configured, and forces HTTPS.

Settings are read once per process, so each check runs `lookout` (or Django's test client) in a
child process started with LOOKOUT_ENV=production.
"""

from __future__ import annotations

import json

import pytest

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

PROBE_HTTPS = """
import json
import django
django.setup()
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import setup_test_environment

from django.core.management import call_command

call_command("collectstatic", interactive=False, verbosity=0)  # as `lookout serve` does
call_command("migrate", "sessions", verbosity=0)  # the session store, in this run's var dir
setup_test_environment()
client = Client()
plain = client.get("/admin/login/", HTTP_HOST="shop.example.com")
secure = client.get("/admin/login/", secure=True, HTTP_HOST="shop.example.com")
proxied = client.get("/admin/login/", HTTP_HOST="shop.example.com", HTTP_X_FORWARDED_PROTO="https")

# A response that sets the session and CSRF cookies, through Django's own middleware.
def view(request):
    request.session["cart"] = "demo"
    get_token(request)
    return HttpResponse("ok")

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
request = RequestFactory().get("/", secure=True, HTTP_HOST="shop.example.com")
middleware = SessionMiddleware(lambda r: CsrfViewMiddleware(view)(r))
response = middleware(request)
cookies = {
    name: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"])}
    for name, morsel in response.cookies.items()
}
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "secure_hsts": secure.get("Strict-Transport-Security", ""),
    "proxied_status": proxied.status_code,
    "cookies": cookies,
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": settings.CSRF_COOKIE_NAME,
}))
"""


@pytest.mark.commitment("C4.1")
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("LOOKOUT_SECRET_KEY", "LOOKOUT_SECRET_KEY"),
        ("LOOKOUT_MASTER_KEY_FILE", "master key source"),
    ],
)
def test_production_refuses_to_start_without_secret_or_master_key(
    production_env, run_lookout, missing, message
):
    # given production settings lacking one essential
    del production_env[missing]

    # when the project starts
    result = run_lookout("check", env=production_env)

    # then it stops with a clear message and a non-zero exit code
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.commitment("C4.1")
def test_production_refuses_a_short_secret_key(production_env, run_lookout):
    # given a secret key too short to be random
    production_env["LOOKOUT_SECRET_KEY"] = "changeme"

    # when the project starts, then it refuses
    result = run_lookout("check", env=production_env)
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


@pytest.mark.commitment("C4.1")
def test_deploy_check_reports_no_warnings(production_env, run_lookout):
    # given a complete production configuration
    # when Django's deployment checklist runs
    result = run_lookout("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    # then it has nothing to report
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.commitment("C4.1")
def test_production_redirects_to_https_sends_hsts_and_secure_cookies(production_env, run_python):
    # given the production profile serving requests
    # when a page is asked for over plain HTTP, then over HTTPS, and a response sets cookies
    result = run_python(PROBE_HTTPS, env=production_env)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    # then HTTP is redirected permanently to the same URL over HTTPS
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://shop.example.com/admin/login/"
    # and HTTPS answers carry HSTS for a year, subdomains included
    assert "max-age=31536000" in probe["secure_hsts"]
    assert "includeSubDomains" in probe["secure_hsts"]
    # and a forged X-Forwarded-Proto is not trusted unless told to sit behind a proxy
    assert probe["proxied_status"] == 301
    # and the session and CSRF cookies are Secure and HttpOnly
    assert probe["cookies"][probe["session_cookie"]] == {"secure": True, "httponly": True}
    assert probe["cookies"][probe["csrf_cookie"]] == {"secure": True, "httponly": True}


@pytest.mark.commitment("C4.1")
def test_behind_a_proxy_the_forwarded_proto_header_is_trusted(production_env, run_python):
    # given production behind a TLS-terminating proxy
    production_env["LOOKOUT_BEHIND_PROXY"] = "1"

    # when the proxy forwards an HTTPS request
    result = run_python(PROBE_HTTPS, env=production_env)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    # then it is served (no redirect loop) while plain HTTP is still redirected
    assert probe["proxied_status"] != 301
    assert probe["plain_status"] == 301
