from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.policies.initial import initial_text
from lookout.testing.staff import client_past_second_factor

NEW_PRIVACY = initial_text("privacy").replace(
    "cut short so that it cannot locate you",
    "cut short (to the first three parts of an IPv4 address) so that it cannot locate you",
)


@pytest.fixture
def make_customer() -> Callable[[str], User]:
    def make(name: str) -> User:
        return create_account(email=f"{name}@example.com", password="a-long-passphrase-1")

    return make


@pytest.fixture
def admin_client() -> Callable[[], Client]:
    """An administrator who passed the second factor in this session (made under the test's
    clock, so a frozen clock does not find the session expired)."""
    return _admin_client


def _admin_client() -> Client:
    admin = create_account(
        email="admin@example.com", password="staff-long-pass-1", role="administrator"
    )
    return client_past_second_factor(admin)
