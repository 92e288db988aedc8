"""Retention of reviews (C4.6), collected by lookout.retention.registry.

A review is deleted three years after it was written (words, name and stars; the product's
average is counted again); one that was not published is deleted 30 days after that decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction

from lookout.core.retention_rules import queryset_rule
from lookout.reviews.models import Review, State
from lookout.reviews.personal_data import REJECTED_RETENTION, REVIEW_RETENTION


def _old(cutoff: datetime) -> models.QuerySet[Review]:
    return Review.objects.filter(written_at__lt=cutoff)


def _rejected(cutoff: datetime) -> models.QuerySet[Review]:
    return Review.objects.filter(state=State.REJECTED, decided_at__lt=cutoff)


def _delete_and_recount(keys: list[Any], now: datetime) -> int:
    from lookout.catalog.cache import bump_generation
    from lookout.reviews.services import recount

    with transaction.atomic():
        rows = Review.objects.filter(pk__in=keys)
        products = set(rows.values_list("product_id", flat=True))
        deleted = rows.delete()[1].get(Review._meta.label, 0)
        for product_id in products:
            recount(product_id)
        if products:
            bump_generation()
    return int(deleted)


RULES = [
    queryset_rule(
        name="reviews.old",
        retention=REVIEW_RETENTION,
        does="deletes a review (words, name and stars) three years after it was written, and "
        "counts the product's average again",
        due=_old,
        apply=_delete_and_recount,
    ),
    queryset_rule(
        name="reviews.rejected",
        retention=REJECTED_RETENTION,
        does="deletes a review that was not published 30 days after that decision",
        due=_rejected,
        apply=_delete_and_recount,
    ),
]
