"""Money is USD in exact decimal cents, never a float (commitment C1.2)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CURRENCY = "USD"
CENT = Decimal("0.01")


class MoneyError(ValueError):
    pass


def usd(value: Decimal | int | str) -> Decimal:
    """Normalise an amount to exact USD cents; floats are refused: no binary rounding creeps in."""
    if isinstance(value, float):
        raise MoneyError("Amounts must be exact decimals, not floats.")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"Not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"Not an amount: {value!r}")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        # Over the context's 28 significant digits in cents (about 1e26 dollars): no real
        # amount, and callers handle MoneyError as bad input, never as a crash.
        raise MoneyError("That amount is too large.") from exc


def format_usd(amount: Decimal) -> str:
    return f"${usd(amount):,.2f}"


class MoneyField(models.DecimalField):
    """A USD amount stored as an exact decimal with two places."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
