"""usd(): every input becomes exact cents or a MoneyError, never another exception."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookout.core.money import CENT, MoneyError, usd

pytestmark = pytest.mark.database_independent


@pytest.mark.commitment("C1.2")
@pytest.mark.parametrize("huge", ["1e26", Decimal("1E+26"), 10**30, "-1e40", "9" * 40])
def test_a_huge_amount_is_refused_as_money_error(huge):
    # given an amount too large to hold in cents, when it is normalised, then MoneyError says so
    with pytest.raises(MoneyError, match="too large"):
        usd(huge)


@pytest.mark.commitment("C1.2")
@given(value=st.decimals(allow_nan=True, allow_infinity=True) | st.integers() | st.text())
def test_usd_answers_exact_cents_or_money_error(value):
    # given any decimal, integer or text, when it is normalised
    try:
        amount = usd(value)
    except MoneyError:
        return  # then either it is refused as money
    # or it is an exact amount in whole cents
    assert amount == amount.quantize(CENT)
    assert amount.as_tuple().exponent == -2


def test_an_ordinary_amount_rounds_half_up_to_cents():
    # given an amount with a half cent (positive control), when normalised, then it rounds up
    assert usd("19.995") == Decimal("20.00")
