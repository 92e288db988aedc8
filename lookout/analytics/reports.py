"""Trend reports for assortment and pricing, built from anonymous events and order counts only
(C3.4). Any figure that rests on fewer than LOOKOUT_ANALYTICS_MIN_GROUP distinct visitors (or
orders) is replaced by a `Suppressed` marker here, so neither the page nor the CSV can show it.

Every report reads from the read replica when one is configured (`lookout.core.replica`): they
scan up to 90 days of events and order lines, and a figure minutes old serves as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from lookout.analytics.models import Event, Kind
from lookout.catalog.models import Product
from lookout.core.replica import reads_from_replica
from lookout.orders.aggregates import orders_per_sku


def min_group() -> int:
    return int(getattr(settings, "LOOKOUT_ANALYTICS_MIN_GROUP", 5))


@dataclass(frozen=True)
class Suppressed:
    k: int

    def __str__(self) -> str:
        return f"suppressed (<{self.k})"


Figure = int | Decimal | Suppressed


def _gate(value: int | Decimal, *, base: int) -> Figure:
    k = min_group()
    return value if base >= k else Suppressed(k)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else Decimal(0)


def _per_sku(since: datetime, kind: str) -> dict[str, tuple[int, int]]:
    rows = (
        Event.objects.filter(kind=kind, occurred_at__gte=since)
        .exclude(sku="")
        .values("sku")
        .annotate(events=Count("id"), visitors=Count("visitor", distinct=True))
        .order_by()
    )
    return {r["sku"]: (r["events"], r["visitors"]) for r in rows}


def _distinct_visitors(since: datetime, kind: str, skus: list[str]) -> int:
    return (
        Event.objects.filter(kind=kind, occurred_at__gte=since, sku__in=skus)
        .values("visitor")
        .distinct()
        .count()
    )


@reads_from_replica
def products(*, since: datetime) -> Table:
    views, adds = _per_sku(since, Kind.VIEW), _per_sku(since, Kind.CART_ADD)
    orders = orders_per_sku(since)
    info = Product.objects.filter(sku__in=set(views) | set(adds)).select_related("category")
    table = Table(
        "Products",
        [
            "SKU",
            "Product",
            "Category",
            "Discount %",
            "Views",
            "Viewers",
            "Add-to-cart",
            "Orders",
            "Conversion %",
        ],
    )
    for p in sorted(info, key=lambda p: -views.get(p.sku, (0, 0))[1]):
        n_views, viewers = views.get(p.sku, (0, 0))
        n_adds, adders = adds.get(p.sku, (0, 0))
        n_orders = orders.get(p.sku, 0)
        table.rows.append(
            [
                p.sku,
                p.name,
                p.category.name,
                p.saving_percent if p.on_sale else 0,
                _gate(n_views, base=viewers),
                _gate(viewers, base=viewers),
                _gate(n_adds, base=min(adders, viewers)),
                _gate(n_orders, base=min(n_orders, viewers)),
                _gate(_rate(n_orders, viewers), base=min(n_orders, viewers)),
            ]
        )
    return table


def _grouped(since: datetime, title: str, label: str, groups: dict[str, list[str]]) -> Table:
    orders = orders_per_sku(since)
    table = Table(title, [label, "Viewers", "Add-to-cart visitors", "Orders", "Conversion %"])
    for name, skus in groups.items():
        viewers = _distinct_visitors(since, Kind.VIEW, skus)
        adders = _distinct_visitors(since, Kind.CART_ADD, skus)
        n_orders = sum(orders.get(s, 0) for s in skus)
        table.rows.append(
            [
                name,
                _gate(viewers, base=viewers),
                _gate(adders, base=min(adders, viewers)),
                _gate(n_orders, base=min(n_orders, viewers)),
                _gate(_rate(n_orders, viewers), base=min(n_orders, viewers)),
            ]
        )
    return table


@reads_from_replica
def categories(*, since: datetime) -> Table:
    groups: dict[str, list[str]] = {}
    for sku, name in Product.objects.values_list("sku", "category__name"):
        groups.setdefault(name, []).append(sku)
    return _grouped(since, "Categories", "Category", groups)


DISCOUNT_BANDS = [
    (0, 0, "No discount"),
    (1, 9, "1-9%"),
    (10, 19, "10-19%"),
    (20, 29, "20-29%"),
    (30, 100, "30% or more"),
]


@reads_from_replica
def discounts(*, since: datetime) -> Table:
    groups: dict[str, list[str]] = {label: [] for _, _, label in DISCOUNT_BANDS}
    for p in Product.objects.all():
        depth = p.saving_percent if p.on_sale else 0
        for low, high, label in DISCOUNT_BANDS:
            if low <= depth <= high:
                groups[label].append(p.sku)
    return _grouped(since, "Discount depth vs conversion", "Discount", groups)


@reads_from_replica
def empty_searches(*, since: datetime, limit: int = 15) -> Table:
    rows = (
        Event.objects.filter(kind=Kind.SEARCH, occurred_at__gte=since, results=0)
        .exclude(search_terms="")
        .values("search_terms")
        .annotate(searches=Count("id"), visitors=Count("visitor", distinct=True))
        .filter(visitors__gte=min_group())
        .order_by("-visitors", "-searches")[:limit]
    )
    table = Table("Top searches with no results", ["Search", "Visitors", "Searches"])
    table.rows = [[r["search_terms"], r["visitors"], r["searches"]] for r in rows]
    return table


@reads_from_replica
def devices(*, since: datetime) -> Table:
    rows = (
        Event.objects.filter(kind=Kind.VIEW, occurred_at__gte=since)
        .values("device_class", "browser_family")
        .annotate(visitors=Count("visitor", distinct=True))
        .order_by("device_class", "-visitors")
    )
    table = Table("Device mix", ["Device", "Browser", "Visitors"])
    table.rows = [
        [r["device_class"], r["browser_family"], _gate(r["visitors"], base=r["visitors"])]
        for r in rows
    ]
    return table


@reads_from_replica
def device_classes(*, since: datetime) -> list[tuple[str, Figure]]:
    rows = (
        Event.objects.filter(kind=Kind.VIEW, occurred_at__gte=since)
        .values("device_class")
        .annotate(visitors=Count("visitor", distinct=True))
        .order_by("device_class")
    )
    return [(r["device_class"], _gate(r["visitors"], base=r["visitors"])) for r in rows]


@reads_from_replica
def daily_visitors(*, since: datetime) -> list[tuple[str, Figure]]:
    rows = (
        Event.objects.filter(kind=Kind.VIEW, occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(visitors=Count("visitor", distinct=True))
        .order_by("day")
    )
    return [(str(r["day"]), _gate(r["visitors"], base=r["visitors"])) for r in rows]


def since(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


@reads_from_replica
def all_tables(*, days: int) -> dict[str, Table]:
    start = since(days)
    return {
        "products": products(since=start),
        "categories": categories(since=start),
        "discounts": discounts(since=start),
        "searches": empty_searches(since=start),
        "devices": devices(since=start),
    }
