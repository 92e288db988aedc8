"""A refusal a page view lets through answers its own status with the shop's error page (issue
22, item 3): a throttle's 429 says when to try again and sends Retry-After, never a 500."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from lookout.core.errors import LookoutError
from lookout.core.views import error_page


class _Throttled(LookoutError):
    status_code = 429

    def __init__(self) -> None:
        super().__init__("Too many tries; try again in 2 minutes.")
        self.retry_after = 120


def _refusing_view(request: HttpRequest) -> HttpResponse:
    raise _Throttled()


def _failing_page(request: HttpRequest) -> HttpResponse:
    return error_page(request, status=503)


urlpatterns = [
    path("refused/", _refusing_view),
    path("unavailable/", _failing_page),
    *import_module("lookout.urls").urlpatterns,
]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_a_view_lets_through_answers_the_429_page() -> None:
    response = Client().get("/refused/")
    assert response.status_code == 429
    assert response["Retry-After"] == "120"
    text = response.content.decode()
    assert "Too many tries; try again in 2 minutes." in text
    assert "Wait 2 minutes, then try again." in text
    assert "Privacy Policy" in text  # the shop's own page


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_5xx_page_reads_no_database() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/unavailable/")
    assert response.status_code == 503
    assert "What you can do" in response.content.decode()
    assert len(queries) == 0


def _debug_setting(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("LOOKOUT_DEBUG", "LOOKOUT_ENV")}
    return subprocess.run(
        [sys.executable, "-c", "import lookout.settings as s; print(s.DEBUG)"],
        env={**clean, "LOOKOUT_VAR_DIR": str(tmp_path), **env},
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_make_runs_profile_has_debug_off_unless_asked(tmp_path: Path) -> None:
    # `make run` serves the development profile: its visitors get the shop's error pages
    assert _debug_setting(tmp_path, LOOKOUT_ENV="development").stdout.strip() == "False"
    asked = _debug_setting(tmp_path, LOOKOUT_ENV="development", LOOKOUT_DEBUG="1")
    assert asked.stdout.strip() == "True"


def test_production_refuses_debug(tmp_path: Path) -> None:
    keyset = tmp_path / "master.json"
    keyset.write_text("{}")
    result = _debug_setting(
        tmp_path,
        LOOKOUT_ENV="production",
        LOOKOUT_DEBUG="1",
        LOOKOUT_SECRET_KEY="k" * 60,
        LOOKOUT_MASTER_KEY_FILE=str(keyset),
    )
    assert result.returncode != 0
    assert "LOOKOUT_DEBUG=1 is refused in production" in result.stderr
