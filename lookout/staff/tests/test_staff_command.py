"""`lookout staff add`: the first administrator of a new installation, from the console.

Django's `createsuperuser` cannot make a Lookout account (sign-in is by the email's blind index),
so before this command a fresh production database had no way to get its first administrator."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

EMAIL = "first.admin@example.com"
PASSWORD = "a-long-admin-passphrase-7"


def _add(*args: str, password: str = PASSWORD, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("staff", "add", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_the_first_administrator_signs_in_and_is_sent_to_enrol_a_second_factor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a store with no account at all
    # when the operator adds the first administrator from the console
    said = _add(EMAIL, monkeypatch=monkeypatch)
    # then the account exists with that role, the creation is audited, and the output names
    # no email address
    user = User.objects.get()
    assert user.role == Role.ADMINISTRATOR
    assert AuditEntry.objects.filter(action="staff.created").count() == 1
    assert EMAIL not in said and "Created Administrator" in said
    # and they can sign in with the password, and are sent to enrol their authenticator
    client = Client()
    client.get("/accounts/login/")
    signed_in = client.post("/accounts/login/", {"email": EMAIL, "password": PASSWORD})
    assert signed_in.status_code == 302
    back_office = client.get("/staff/administrator/")
    assert back_office.status_code == 302
    assert back_office["Location"].startswith("/accounts/otp/")


def test_a_weak_password_or_a_second_account_with_the_email_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(CommandError, match="The password is refused"):
        _add(EMAIL, password="12345678", monkeypatch=monkeypatch)
    assert User.objects.count() == 0
    _add(EMAIL, "--role", Role.FINANCE.value, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="already exists"):
        _add(EMAIL.upper(), monkeypatch=monkeypatch)
    assert User.objects.get().role == Role.FINANCE
