"""Reads on reviews. Rows come back with sealed words; the gate opens them (services, views)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from lookout.orders.models import Order, OrderLine, Status
from lookout.reviews.models import ProductRating, Review, State

# The use of a review's words outside the fixed purposes (C3.8): showing them, under the name
# the reviewer chose, on the product page. The reviewer agrees when they write it.
PUBLICATION = "review_publication"
SHOWN_ON_PAGE = 10  # published reviews on a product page, newest first


def agreed_to_publish(subject: Any, purpose: str) -> bool:
    """The consent check the gate asks (registered in apps.py): the person wrote a review,
    agreeing to its publication, and it is published (not withdrawn, not rejected)."""
    if purpose != PUBLICATION:
        return False
    return Review.objects.filter(subject=subject, state=State.PUBLISHED).exists()


def delivered_order_with(*, subject: uuid.UUID, product_id: int) -> Order | None:
    """The person's newest delivered order holding the product or one of its variants, or None
    (not a verified buyer of it: never bought it, or it is not delivered yet)."""
    lines = OrderLine.objects.filter(Q(product_id=product_id) | Q(product__parent_id=product_id))
    return (
        Order.objects.filter(
            subject=subject, status=Status.DELIVERED, pk__in=lines.values("order_id")
        )
        .select_related("delivery")
        .order_by("-delivered_at", "-placed_at")
        .first()
    )


def review_of(*, subject: uuid.UUID, product_id: int) -> Review | None:
    return Review.objects.filter(subject=subject, product_id=product_id).first()


def states_of(*, subject: uuid.UUID, product_ids: list[int]) -> dict[int, str]:
    """What became of the person's reviews of these products: product id -> state."""
    rows = Review.objects.filter(subject=subject, product_id__in=product_ids)
    return dict(rows.values_list("product_id", "state"))


def reviews_of(*, subject: uuid.UUID) -> QuerySet[Review]:
    return Review.objects.filter(subject=subject).select_related("product").order_by("written_at")


def published(*, product_id: int, limit: int = SHOWN_ON_PAGE) -> list[Review]:
    """The newest published reviews whose words are still there (an erased reviewer's stars
    count in the average; their row is not shown)."""
    return list(
        Review.objects.filter(product_id=product_id, state=State.PUBLISHED, erased_at__isnull=True)
        .only("id", "subject", "stars", "pseudonym", "body", "decided_at", "written_at")
        .order_by("-decided_at", "-id")[:limit]
    )


def rating_of(product_id: int) -> ProductRating | None:
    return ProductRating.objects.filter(product_id=product_id).first()


def ratings(product_ids: list[int]) -> dict[int, tuple[int, float]]:
    """(count, average) for each of the products that has published reviews, in one query."""
    rows = ProductRating.objects.filter(product_id__in=product_ids, count__gt=0).values_list(
        "product_id", "count", "total"
    )
    return {pk: (count, round(total / count, 1)) for pk, count, total in rows}


def all_ratings() -> dict[int, tuple[int, float]]:
    """Every rated product's (count, average), in one query: what a page of cards reads once."""
    rows = ProductRating.objects.filter(count__gt=0).values_list("product_id", "count", "total")
    return {pk: (count, round(total / count, 1)) for pk, count, total in rows}


def pending() -> QuerySet[Review]:
    """The moderation queue: oldest first."""
    return (
        Review.objects.filter(state=State.PENDING)
        .select_related("product", "order")
        .order_by("written_at", "id")
    )


def moderated(limit: int = 50) -> QuerySet[Review]:
    return (
        Review.objects.exclude(state=State.PENDING)
        .select_related("product", "order")
        .order_by("-decided_at", "-id")[:limit]
    )
