from __future__ import annotations

import io

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from lookout.accounts import demo
from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.models import MarketingChoice, User
from lookout.accounts.selectors import marketing_opted_in
from lookout.accounts.services import create_account
from lookout.vault.blind_index import email_index
from lookout.vault.models import DataKey


def _load() -> list[str]:
    lines: list[str] = []
    demo.load(progress=lines.append)
    return lines


@pytest.mark.django_db
def test_demo_load_creates_one_staff_member_per_role_and_two_customers_once():
    # when: loaded twice
    first = _load()
    counts = (User.objects.count(), DataKey.objects.count(), MarketingChoice.objects.count())
    second = _load()
    # then
    assert len(first) == len(second) == 8
    assert all("already there" in line for line in second)
    assert (User.objects.count(), DataKey.objects.count(), MarketingChoice.objects.count()) == (
        counts
    )
    roles = set(User.objects.exclude(role="").values_list("role", flat=True))
    assert roles == {str(role) for role in demo.DEMO_STAFF.values()}
    ann = User.objects.get(email_index=email_index("ann@example.com"))
    ben = User.objects.get(email_index=email_index("ben@example.com"))
    assert (ann.role, ben.role) == ("", "")
    assert marketing_opted_in(user=ann) is True
    assert marketing_opted_in(user=ben) is False


@pytest.mark.django_db
def test_demo_staff_sign_in_with_the_published_password_and_demo_otp_code():
    # given
    _load()
    client = Client()
    # when
    client.post(
        "/accounts/login/", {"email": "finance@example.com", "password": demo.DEMO_PASSWORD}
    )
    out = io.StringIO()
    call_command("demo_otp", "finance@example.com", stdout=out)
    code = out.getvalue().strip()
    response = client.post("/accounts/otp/", {"code": code, "next": "/accounts/"})
    # then
    assert code.isdigit() and len(code) == 6
    assert response.status_code == 302
    assert client.session[OTP_SESSION_KEY] is True


@pytest.mark.django_db
def test_demo_otp_refuses_accounts_that_are_not_demo_staff():
    # given
    _load()
    create_account(email="real.person@example.com", password="a-long-enough-pass", role="finance")
    # when / then
    for email in ("real.person@example.com", "ann@example.com", "nobody@example.com"):
        with pytest.raises(CommandError, match="Not a demo staff account"):
            call_command("demo_otp", email, stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_otp_and_demo_load_refuse_in_production(settings):
    # given
    _load()
    settings.PRODUCTION = True
    # when / then
    with pytest.raises(CommandError, match="never runs in production"):
        call_command("demo_otp", "finance@example.com", stdout=io.StringIO())
    with pytest.raises(demo.DemoRefused):
        _load()


def test_sign_in_instructions_name_every_demo_account_and_how_to_get_a_code():
    # when
    text = demo.sign_in_instructions()
    # then
    for email in [*demo.DEMO_STAFF, *demo.DEMO_CUSTOMERS]:
        assert email in text
    for role in demo.DEMO_STAFF.values():
        assert role.label in text
    assert demo.DEMO_PASSWORD in text
    assert "lookout demo_otp <email>" in text


def test_demo_secrets_are_fixed_per_person():
    # then
    assert demo.demo_totp_secret("finance@example.com") == demo.demo_totp_secret(
        " Finance@Example.com"
    )
    assert demo.demo_totp_secret("finance@example.com") != demo.demo_totp_secret(
        "warehouse@example.com"
    )
    pyotp.TOTP(demo.demo_totp_secret("admin@example.com")).now()
