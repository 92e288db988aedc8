"""Fixtures for the incident tests: customers with accounts, guest orders, staff of each role."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.orders.testing import partners, policies, staff

__all__ = ["partners", "policies", "staff"]


@pytest.fixture
def customer() -> Callable[[], User]:
    """A new customer account (example.com address, random local part)."""

    def make() -> User:
        return create_account(
            email=f"c.{secrets.token_hex(4)}@example.com",
            password="a-long-passphrase-1",
        )

    return make


def exposed_sets(incident: Any) -> dict[Any, tuple[set[str], set[str]]]:
    """{subject: (fields exposed in full, fields exposed masked)} as computed."""
    return {e.subject: (set(e.exposed), set(e.masked)) for e in incident.exposures.all()}
