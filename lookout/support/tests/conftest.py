from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from lookout.orders.testing import partners, policies, staff  # noqa: F401


@pytest.fixture
def customer() -> Any:
    """A signed-in customer: (user, client)."""

    def make() -> tuple[Any, Client]:
        from lookout.accounts.services import create_account

        user = create_account(
            email=f"buyer.{secrets.token_hex(3)}@example.com", password="a-long-passphrase-1"
        )
        client = Client()
        client.force_login(user)
        return user, client

    return make
