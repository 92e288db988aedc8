"""`/healthz` in the production profile answers a plain-HTTP health check (a load balancer's or
the TLS-terminating proxy's probe of a process's private port) instead of redirecting it, while
every other page is still redirected to HTTPS (C4.1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

# Its own SQLite files, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

PROBE = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

# The site as docs/operations.md prepares it: master key, both databases, the cache table.
call_command("keys", "init", verbosity=0)
call_command("migrate", verbosity=0)
call_command("migrate", database="keystore", verbosity=0)
call_command("createcachetable", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)  # as `lookout serve` does
setup_test_environment()
client = Client()
health = client.get("/healthz", HTTP_HOST="shop.example.com")
page = client.get("/", HTTP_HOST="shop.example.com")
near = client.get("/healthz/", HTTP_HOST="shop.example.com")
print(json.dumps({
    "health_status": health.status_code,
    "health_body": health.json() if health.status_code == 200 else None,
    "health_hsts": health.get("Strict-Transport-Security", ""),
    "page_status": page.status_code,
    "page_location": page.get("Location", ""),
    "near_status": near.status_code,
}))
"""


@pytest.mark.commitment("C4.1")
def test_healthz_answers_plain_http_while_pages_still_redirect(
    production_env,
    run_python,
    migrated_site,
):
    # (the session's migrated databases, copied: the probe's migrate then has nothing to do)
    shutil.copytree(migrated_site, Path(production_env["LOOKOUT_VAR_DIR"]), dirs_exist_ok=True)
    # given the production profile (HTTPS forced) with its databases, cache and master key ready
    # when a health check asks for /healthz over plain HTTP, and a visitor asks for a page
    result = run_python(PROBE, env=production_env)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    # then the health check is answered, not redirected: the process is up
    assert probe["health_status"] == 200
    assert probe["health_body"]["status"] == "ok"
    # and over plain HTTP it sets no HSTS (browsers ignore it there anyway)
    assert probe["health_hsts"] == ""
    # and every other path, a near-miss of /healthz included, is still sent to HTTPS
    assert probe["page_status"] == 301
    assert probe["page_location"] == "https://shop.example.com/"
    assert probe["near_status"] == 301
