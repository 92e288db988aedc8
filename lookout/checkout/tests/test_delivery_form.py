"""The delivery form's region choices: the country's own, built once and shared by every form,
and a region not on the list is refused in words a person understands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import pytest
from django import forms

from lookout.checkout.forms import DeliveryForm, rules_for

pytestmark = pytest.mark.database_independent

ADDRESS = {
    "country": "US",
    "name": "Test Buyer",
    "street_address": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "postal_code": "94043",
    "email": "buyer@example.com",
}


def _regions(form: DeliveryForm) -> forms.ChoiceField:
    field = form.fields["country_area"]
    assert isinstance(field, forms.ChoiceField)
    return field


def _offered(form: DeliveryForm) -> list[str]:
    """The region codes offered, in order ("" first: nothing chosen yet)."""
    return [value for value, _ in cast(Iterable[tuple[str, str]], _regions(form).choices)]


def test_the_regions_offered_are_the_countrys_own() -> None:
    form = DeliveryForm(country="US", guest=True)
    offered = _offered(form)
    assert offered[0] == ""  # nothing chosen yet
    assert offered[1:] == [code for code, _ in rules_for("US").country_area_choices]
    assert "CA" in offered


def test_a_region_from_the_list_is_accepted_and_one_not_on_it_is_refused() -> None:
    good = DeliveryForm({**ADDRESS, "country_area": "CA"}, country="US", guest=True)
    assert good.is_valid(), good.errors
    bad = DeliveryForm({**ADDRESS, "country_area": "XX"}, country="US", guest=True)
    assert not bad.is_valid()
    assert "Select a valid choice" in " ".join(str(e) for e in bad.errors["country_area"])


def test_one_forms_changes_to_its_fields_do_not_reach_the_next_form() -> None:
    first = DeliveryForm(country="US", guest=True)
    _regions(first).choices = [("", "—")]
    first.fields["name"].label = "Changed"
    second = DeliveryForm(country="US", guest=True)
    assert len(_offered(second)) > 50
    assert second.fields["name"].label == "Recipient's name"


def test_each_country_gets_its_own_regions() -> None:
    japan = _offered(DeliveryForm(country="JP", guest=True))
    assert "CA" not in japan
    assert len(japan) == len(rules_for("JP").country_area_choices) + 1
