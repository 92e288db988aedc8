from __future__ import annotations

import pytest

from lookout.accounts.models import User
from lookout.accounts.services import create_account


@pytest.fixture
def ann() -> User:
    return create_account(email="ann@example.com", password="a-long-passphrase-1")


@pytest.fixture
def bob() -> User:
    return create_account(email="bob@example.com", password="a-long-passphrase-2")
