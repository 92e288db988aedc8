"""A postal code is refused in words that say what is wrong (issue 22, item 4): one of the
country's form but from another region is "does not match the prefecture", not "not valid in
Japan", which sent buyers hunting for a format mistake they had not made."""

from __future__ import annotations

import pytest

from lookout.checkout.forms import DeliveryForm

pytestmark = pytest.mark.database_independent

HOKKAIDO = {
    "country": "JP",
    "name": "Test Buyer",
    "street_address": "1-1 Kita 1-jo",
    "city": "Sapporo",
    "country_area": "北海道",  # Hokkaido
    "email": "buyer@example.com",
}


def _postal_code_errors(code: str) -> list[str]:
    form = DeliveryForm({**HOKKAIDO, "postal_code": code}, country="JP", guest=True)
    assert not form.is_valid()
    return [str(message) for message in form.errors["postal_code"]]


def test_a_tokyo_code_with_hokkaido_says_it_does_not_match_the_prefecture() -> None:
    (message,) = _postal_code_errors("100-0001")  # Chiyoda, Tokyo
    assert "does not match the prefecture" in message
    assert "not valid in Japan" not in message


def test_a_code_of_the_wrong_form_is_still_not_valid_in_japan() -> None:
    (message,) = _postal_code_errors("ABC")
    assert "not valid in Japan" in message


def test_hokkaidos_own_code_is_accepted() -> None:
    form = DeliveryForm({**HOKKAIDO, "postal_code": "060-0001"}, country="JP", guest=True)
    assert form.is_valid(), form.errors
