from __future__ import annotations

import pytest

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account


@pytest.fixture
def customer() -> User:
    return create_account(email="ann@example.com", password="a-long-passphrase-1")


@pytest.fixture
def officer() -> User:
    return create_account(
        email="olga@example.com", password="a-long-passphrase-2", role=Role.PRIVACY_OFFICER
    )
