from __future__ import annotations

import pytest

from lookout.accounts.services import record_marketing_choice, sign_up
from lookout.orders.testing import policies, staff  # noqa: F401

PASSWORD = "long-enough-pass-1"


@pytest.fixture
def people(request):
    """Customers in every state of marketing choice, made through sign-up (the unticked box)."""
    request.getfixturevalue("policies")  # sign-up records the policies in force
    opted_in = sign_up(email="in@example.com", password=PASSWORD, marketing_opt_in=True)
    unticked = sign_up(email="unticked@example.com", password=PASSWORD, marketing_opt_in=False)
    left = sign_up(email="left@example.com", password=PASSWORD, marketing_opt_in=True)
    record_marketing_choice(user=left, opted_in=False, wording="Stop", source="account_centre")
    return {"opted_in": opted_in, "unticked": unticked, "left": left}
