"""Demo discount codes for `make run` (`lookout demo`): a welcome code anyone may use, a fixed
amount off above a minimum, a code for one category, one that has expired and one not yet
valid, so that each answer of the cart's code box can be tried. DEMO ONLY, refused in
production; idempotent: a code already there is left as it is (its uses are kept)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lookout.catalog.models import Category
from lookout.vouchers.models import Voucher

DAY = timedelta(days=1)


def _codes() -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {"code": "WELCOME10", "percent": 10, "usage_limit": None},
        {
            "code": "SAVE20",
            "kind": Voucher.Kind.AMOUNT,
            "amount": Decimal("20.00"),
            "minimum_order": Decimal("150.00"),
            "usage_limit": None,
        },
        {"code": "INDOOR15", "percent": 15, "usage_limit": 100, "categories": ["indoor-cameras"]},
        {"code": "SUMMER25", "percent": 25, "valid_from": now - 200 * DAY,
         "valid_until": now - 100 * DAY},
        {"code": "NEXTYEAR", "percent": 30, "valid_from": now + 365 * DAY},
    ]  # fmt: skip


def load(*, progress: Callable[[str], None]) -> None:
    if settings.PRODUCTION:
        raise RuntimeError("Demo discount codes are never created in production.")
    made = 0
    with transaction.atomic():
        for spec in _codes():
            spec = dict(spec)
            slugs = spec.pop("categories", [])
            spec.setdefault("kind", Voucher.Kind.PERCENT)
            voucher, created = Voucher.objects.get_or_create(code=spec.pop("code"), defaults=spec)
            if created:
                made += 1
                voucher.categories.set(Category.objects.filter(slug__in=slugs))
    progress(
        f"{made} demo discount code(s) made: WELCOME10 (10% off), SAVE20 ($20 off from $150), "
        "INDOOR15 (indoor cameras), SUMMER25 (expired), NEXTYEAR (not yet valid)"
    )
