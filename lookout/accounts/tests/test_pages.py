"""Every accounts page: CSRF tokens in forms, no inline script or style, strict CSP (C4.7)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from lookout.accounts.models import User
from lookout.accounts.tests.conftest import sign_in

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
    "/accounts/logout/",
]
SIGNED_IN_PAGES = ["/accounts/", "/accounts/password/change/", "/accounts/password/change/done/"]


def _assert_safe_page(html: str, csp: str) -> None:
    assert "'unsafe-inline'" not in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "<style" not in html
    assert " style=" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script and "nonce=" in script
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
        assert 'name="csrfmiddlewaretoken"' in form


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_public_accounts_pages_have_csrf_tokens_and_no_inline_code(path: str):
    # when
    response = Client().get(path)
    # then
    assert response.status_code == 200
    _assert_safe_page(response.content.decode(), response["Content-Security-Policy"])


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_accounts_pages_have_csrf_tokens_and_no_inline_code(customer: User, path: str):
    # given
    client = Client()
    sign_in(client, "ann@example.com")
    # when
    response = client.get(path)
    # then
    assert response.status_code == 200
    _assert_safe_page(response.content.decode(), response["Content-Security-Policy"])


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_enrolment_page_qr_code_is_inline_svg_without_styles():
    # given
    from lookout.accounts.services import create_account

    create_account(email="staff@example.com", password="a-long-enough-pass", role="warehouse")
    client = Client()
    sign_in(client, "staff@example.com", "a-long-enough-pass")
    # when
    response = client.get("/accounts/otp/")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    _assert_safe_page(html, response["Content-Security-Policy"])
