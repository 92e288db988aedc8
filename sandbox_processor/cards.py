"""What the sandbox processor reads from a card form, and the outcome each test card gives.

The full number and the CVC live only in local variables of one request: they decide the
outcome and are dropped. What comes out of here (`CardFacts`) holds only what a processor may
keep and tell the store: brand, last four digits and expiry (commitment C2.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Outcome(StrEnum):
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    TIMEOUT = "timeout"


# Stripe's well-known test numbers, so testers do not need to learn new ones.
SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
TIMEOUT_CARD = "4000000000000119"
TEST_CARDS = {
    SUCCESS_CARD: Outcome.AUTHORIZED,
    DECLINE_CARD: Outcome.DECLINED,
    TIMEOUT_CARD: Outcome.TIMEOUT,
}

_BRANDS = (
    (re.compile(r"4"), "visa"),
    (re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)"), "mastercard"),
    (re.compile(r"3[47]"), "amex"),
    (re.compile(r"6(?:011|5)"), "discover"),
)
_EXPIRY = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*")


class CardError(ValueError):
    """Bad card input; the message is shown on the payment page and names no card digits."""


@dataclass(frozen=True)
class CardFacts:
    """What is kept of a card: never the number or the CVC."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    outcome: Outcome


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> str:
    for pattern, brand in _BRANDS:
        if pattern.match(digits):
            return brand
    return "unknown"


def read_card(*, number: str, expiry: str, cvc: str, today: date) -> CardFacts:
    """Check the typed card and decide the outcome; only non-secret facts come back.

    Any card other than the three test cards is declined: people must not type real cards into
    a sandbox, and if they do nothing of it is kept.
    """
    digits = re.sub(r"[\s-]", "", number or "")
    errors = []
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        errors.append("The card number is not valid; check the digits.")
    month, year = _expiry(expiry, today=today, errors=errors)
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        errors.append("The security code (CVC) is the 3 or 4 digits on the card.")
    if errors:
        raise CardError(" ".join(errors))
    outcome = TEST_CARDS.get(digits, Outcome.DECLINED)
    return CardFacts(
        brand=brand_of(digits), last4=digits[-4:], exp_month=month, exp_year=year, outcome=outcome
    )


def _expiry(text: str, *, today: date, errors: list[str]) -> tuple[int, int]:
    match = _EXPIRY.fullmatch(text or "")
    if not match:
        errors.append("The expiry date is month and year, like 04/30.")
        return 0, 0
    month, year = int(match[1]), int(match[2])
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        errors.append("The expiry month must be between 01 and 12.")
    elif (year, month) < (today.year, today.month):
        errors.append("This card has expired.")
    elif year > today.year + 25:
        errors.append("The expiry year is too far in the future.")
    return month, year
