"""Shared fixtures for the accounts tests: people to sign in as, and counts of what exists."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from django.test import Client

from lookout.accounts.models import MarketingChoice, User
from lookout.accounts.services import create_account
from lookout.vault.models import DataKey

PASSWORD = "correct-horse-battery"


@pytest.fixture
def customer() -> User:
    return create_account(email="ann@example.com", password=PASSWORD)


@pytest.fixture
def make_staff() -> Callable[..., tuple[User, str]]:
    """A staff member with a confirmed second factor; returns the user and their TOTP secret."""

    def make(role: str = "warehouse", email: str = "wh@example.com") -> tuple[User, str]:
        from django.utils import timezone

        secret = pyotp.random_base32()
        user = create_account(email=email, password=PASSWORD, role=role)
        user.totp_secret = secret
        user.totp_confirmed_at = timezone.now()
        user.save()
        return user, secret

    return make


@pytest.fixture
def counts() -> Callable[[], tuple[int, int, int]]:
    """How many users, data keys and marketing choices exist: proof that nothing was written."""

    def count() -> tuple[int, int, int]:
        return User.objects.count(), DataKey.objects.count(), MarketingChoice.objects.count()

    return count


def session_before_sign_in(client: Client) -> str:
    """Give `client` a saved session, as a visitor has before signing in; its key."""
    client.get("/accounts/login/")
    client.session.save()
    return client.session.session_key or ""


def sign_in(client: Client, email: str, password: str = PASSWORD, *, ip: str = "127.0.0.1"):
    return client.post("/accounts/login/", {"email": email, "password": password}, REMOTE_ADDR=ip)
