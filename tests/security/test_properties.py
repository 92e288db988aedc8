"""Property tests (hypothesis) for the code every order's money, address and promise date go
through: generated inputs, including hostile ones, meet the same invariants as examples.

They are arithmetic and validation properties, not security tests, so each is marked only with
the commitment whose arithmetic it checks (exact USD cents, C1.2; business days, C1.6). The
security testing of C4.5 is proved by the access-control, fuzzing, abuse and static-analysis
tests beside this file.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django_countries import countries
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lookout.checkout.forms import ADDRESS_FIELDS, DeliveryForm, rules_for, used_fields
from lookout.core.money import CENT, MoneyError, format_usd, usd
from lookout.shipping.calendar import add_business_days, business_days_between, is_business_day

pytestmark = pytest.mark.database_independent

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False
)


# ---- money ---------------------------------------------------------------------------------


@pytest.mark.commitment("C1.2")
@PROPERTY
@given(amounts)
def test_an_amount_becomes_whole_cents_within_half_a_cent(value):
    # given any finite decimal, when it is normalised
    amount = usd(value)
    # then it has exactly two places, is at most half a cent away, and normalising is stable
    assert amount.as_tuple().exponent == -2
    assert abs(amount - value) <= CENT / 2
    assert usd(amount) == amount
    assert usd(str(value)) == amount


@pytest.mark.commitment("C1.2")
@PROPERTY
@given(st.lists(amounts, max_size=20))
def test_sums_of_cents_are_exact(values):
    # given amounts in cents, when added up
    cents = [usd(v) for v in values]
    total = sum(cents, Decimal("0.00"))
    # then the sum is exact in cents: no float rounding crept in
    assert usd(total) == total
    assert total * 100 == sum(int(c * 100) for c in cents)


@pytest.mark.commitment("C1.2")
@PROPERTY
@given(amounts)
def test_a_formatted_amount_reads_back_as_the_same_amount(value):
    shown = format_usd(value)
    sign = -1 if shown.startswith("-") else 1
    assert Decimal(shown.lstrip("-").removeprefix("$").replace(",", "")) * sign == usd(value)


@pytest.mark.commitment("C1.2")
@PROPERTY
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_refused(value):
    with pytest.raises(MoneyError):
        usd(value)


@pytest.mark.commitment("C1.2")
@PROPERTY
@given(
    st.one_of(
        st.text(max_size=40),
        st.from_regex(r"\A-?[0-9]{0,12}(\.[0-9]{0,6})?\Z"),
        st.none(),
        st.integers(min_value=-(10**20), max_value=10**20),
    )
)
def test_anything_that_is_not_an_amount_is_a_money_error_not_a_crash(value):
    # given arbitrary text or objects, when read as an amount
    try:
        amount = usd(value)
    except MoneyError:
        return  # then it is refused with the store's own error...
    # ...or it really was a finite amount
    assert amount.is_finite()
    assert amount.as_tuple().exponent == -2


# ---- addresses -----------------------------------------------------------------------------

codes = st.sampled_from([code for code, _ in countries])
field_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)


def _form(country: str, values: dict[str, str], phone: str) -> DeliveryForm:
    data = {"country": country, "name": "Ada Lovelace", "phone": phone, **values}
    data["email"] = "ada@example.com"
    return DeliveryForm(data=data, country=country, guest=True)


@PROPERTY
@given(codes, st.fixed_dictionaries({name: field_text for name in ADDRESS_FIELDS}), field_text)
def test_any_address_in_any_country_is_accepted_or_refused_with_messages(country, values, phone):
    # given arbitrary text in every address field of any country's delivery form
    form = _form(country, values, phone)
    # when it is validated, then it never crashes: either valid, or every error is a sentence
    if form.is_valid():
        address = form.address()
        # and a valid address holds only the country's own fields, for the chosen country
        assert address["country_code"] == country
        assert set(address) - {"country_code"} <= set(used_fields(country)) | {"sorting_code"}
    else:
        for messages in form.errors.values():
            assert messages and all(isinstance(m, str) and m.strip() for m in messages)


@st.composite
def plausible_addresses(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A country and an address built from that country's own rules (its example postal codes
    and area names), with generated street and city text: mostly valid, often odd."""
    country = draw(codes)
    rules = rules_for(country)
    words = st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=30)
    values = {"street_address": draw(words), "city": draw(words), "city_area": draw(words)}
    if rules.postal_code_examples:
        values["postal_code"] = draw(st.sampled_from(rules.postal_code_examples))
    if rules.country_area_choices:
        values["country_area"] = draw(st.sampled_from([k for k, _ in rules.country_area_choices]))
    return country, values


@PROPERTY
@given(plausible_addresses())
def test_a_valid_address_normalises_to_itself(case):
    # given an address some country accepts
    country, values = case
    first = _form(country, values, "")
    assume(first.is_valid())
    address = first.address()
    # when the normalised address is submitted again, then it is valid and unchanged
    again = _form(country, {k: v for k, v in address.items() if k != "country_code"}, "")
    assert again.is_valid(), again.errors
    assert again.address() == address


# ---- business days -------------------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
holidays = st.frozensets(days, max_size=30)


@pytest.mark.commitment("C1.6")
@PROPERTY
@given(days, st.integers(min_value=0, max_value=60), holidays)
def test_adding_business_days_lands_on_a_business_day_that_far_away(start, n, off):
    # given a start date, a count and any set of warehouse holidays
    due = add_business_days(start, n, holidays=off)
    # then the due day is n business days later, and a business day itself when n > 0
    assert business_days_between(start, due, holidays=off) == n
    if n == 0:
        assert due == start
    else:
        assert due > start
        assert is_business_day(due, holidays=off)
        # and it is the first such day: the day before is still one business day short
        assert business_days_between(start, due - timedelta(days=1), holidays=off) == n - 1


@pytest.mark.commitment("C1.6")
@PROPERTY
@given(days, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_business_days_add_up(start, a, b):
    assert add_business_days(add_business_days(start, a, holidays=()), b, holidays=()) == (
        add_business_days(start, a + b, holidays=())
    )


@pytest.mark.commitment("C1.6")
@PROPERTY
@given(days, days, holidays)
def test_business_days_between_never_exceeds_calendar_days(start, end, off):
    count = business_days_between(start, end, holidays=off)
    assert 0 <= count <= max((end - start).days, 0)


@pytest.mark.commitment("C1.6")
@PROPERTY
@given(days, st.integers(max_value=-1))
def test_counting_backwards_is_refused(start, n):
    with pytest.raises(ValueError, match="backwards"):
        add_business_days(start, n, holidays=())
