"""A kind of partner the allowlist does not name receives nothing, for no purpose (C5.1, C5.3):
the allowlist is a list of what may go, never of what may not."""

from __future__ import annotations

import pytest

from lookout.core.purposes import Purpose
from lookout.sharing.allowlist import category_allowed, purpose_allowed

pytestmark = [pytest.mark.commitment("C5.1", "C5.3"), pytest.mark.database_independent]


@pytest.mark.parametrize("purpose", list(Purpose))
def test_an_unlisted_kind_of_partner_may_be_told_nothing(purpose):
    assert purpose_allowed("data_broker", purpose) is False
    assert category_allowed("data_broker", "user.name") is False
