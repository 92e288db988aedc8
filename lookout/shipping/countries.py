"""Where the store ships (everywhere django-countries knows), what it costs (nothing, C1.3)
and how long the carrier usually takes, for the estimated delivery window shown at checkout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django_countries import countries

from lookout.shipping.calendar import PROCESSING_DAYS_MAX, PROCESSING_DAYS_MIN, add_business_days

SHIPPING_COST = Decimal("0.00")  # free worldwide shipping, no handling fee (C1.3)
WAREHOUSE_COUNTRY = "US"

# The sandbox carrier's transit times in business days: domestic, nearby, rest of the world.
_NEARBY = {"CA", "MX"}
_TRANSIT = {"domestic": (2, 4), "nearby": (4, 7), "world": (6, 12)}

# Countries whose customs or couriers need a phone number on the parcel; elsewhere it is
# optional (C2.5: ask only what delivery needs).
PHONE_REQUIRED = frozenset({"BR", "CN", "ID", "IN", "KR", "MX", "SA", "AE", "TR", "ZA"})


def shipping_countries() -> list[tuple[str, str]]:
    """(code, name) of every country the store ships to, sorted by name."""
    return [(c.code, c.name) for c in countries]


def ships_to(code: str) -> bool:
    # `in countries` looks the code up; `in dict(countries)` would build (and translate) the
    # whole list of names on every call, a quarter of a millisecond each time.
    return bool(code) and code.upper() in countries


def shipping_cost(country: str) -> Decimal:
    """Always USD 0.00 for a country the store ships to (C1.3)."""
    if not ships_to(country):
        raise ValueError(f"We do not ship to {country!r}.")
    return SHIPPING_COST


def phone_required(country: str) -> bool:
    return country.upper() in PHONE_REQUIRED


def transit_days(country: str) -> tuple[int, int]:
    code = country.upper()
    if code == WAREHOUSE_COUNTRY:
        return _TRANSIT["domestic"]
    return _TRANSIT["nearby"] if code in _NEARBY else _TRANSIT["world"]


@dataclass(frozen=True)
class DeliveryEstimate:
    ships_from: date  # earliest hand-over to the carrier
    ships_by: date  # the promise (C1.6)
    arrives_from: date
    arrives_by: date


def estimate(*, country: str, start: date) -> DeliveryEstimate:
    """The 1-3 business-day processing promise plus the carrier's transit time."""
    low, high = transit_days(country)
    ships_from = add_business_days(start, PROCESSING_DAYS_MIN)
    ships_by = add_business_days(start, PROCESSING_DAYS_MAX)
    return DeliveryEstimate(
        ships_from=ships_from,
        ships_by=ships_by,
        arrives_from=add_business_days(ships_from, low),
        arrives_by=add_business_days(ships_by, high),
    )
