"""Discount codes: a percentage or a fixed USD amount off, within dates, for a number of uses.

A voucher names nobody. It is redeemed on an order (the order keeps the code and each line's
share of the discount); nothing records who used it, only how many times it was used.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from lookout.core.money import MoneyField

CODE_MAX = 32


def normalise_code(code: str) -> str:
    """How codes are stored and compared: upper case, without surrounding or inner spaces."""
    return "".join(str(code).split()).upper()


class Voucher(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        AMOUNT = "amount", "Fixed amount off (USD)"

    code = models.CharField(max_length=CODE_MAX, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    # A whole percentage (1 to 100) for PERCENT; ignored otherwise.
    percent = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    amount = MoneyField(default=0, help_text="USD off the eligible items, for a fixed amount")
    minimum_order = MoneyField(
        default=0, help_text="The cart must come to at least this (USD) before the discount"
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Empty: no end")
    usage_limit = models.PositiveIntegerField(
        null=True, blank=True, default=1, help_text="1: single use; empty: unlimited"
    )
    # Counted at checkout for a code with a limit (the guard); a code without one is not
    # counted there (no hot row): its uses are the orders naming it (services.uses).
    times_used = models.PositiveIntegerField(default=0)
    categories = models.ManyToManyField(
        "catalog.Category",
        blank=True,
        related_name="+",
        help_text="Only products of these categories are discounted; none: every product",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["percent", "amount"]), name="voucher_kind_known"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="percent", percent__gte=1, percent__lte=100)
                    | models.Q(kind="amount", amount__gt=0)
                ),
                name="voucher_value_set",
            ),
            models.CheckConstraint(condition=models.Q(minimum_order__gte=0), name="voucher_min"),
            models.CheckConstraint(
                condition=models.Q(usage_limit__isnull=True)
                | models.Q(times_used__lte=models.F("usage_limit")),
                name="voucher_not_overused",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = normalise_code(self.code)
        super().save(*args, **kwargs)

    @property
    def describe(self) -> str:
        if self.kind == self.Kind.PERCENT:
            return f"{self.percent}% off"
        return f"${self.amount:,.2f} off"
