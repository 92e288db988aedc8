"""The one read analytics makes of orders (C2.4): counts per product, never an order, a buyer
or a delivery. Kept apart so that an import contract (.importlinter) can let analytics import
this module and nothing else of orders."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from lookout.orders.models import OrderLine


def orders_per_sku(since: datetime) -> dict[str, int]:
    """How many orders placed since `since`, and not closed, contain each product code."""
    rows = (
        OrderLine.objects.filter(order__placed_at__gte=since, order__closed_at__isnull=True)
        .values("sku")
        .annotate(orders=Count("order", distinct=True))
        .order_by()
    )
    return {row["sku"]: row["orders"] for row in rows}
