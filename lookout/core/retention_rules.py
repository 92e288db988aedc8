"""What a retention rule is (C4.6): the shape every app's `<app>/retention.py` builds its
`RULES` from. It lives in core so that an app declares its rules without importing the retention
app, which sits above every app and collects them (lookout.retention.registry)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

from lookout.core.inventory import Retention

# cutoff, cursor ("" = from the start), limit -> the next keys due, in order
BatchFn = Callable[[datetime, str, int], list[Any]]
# keys, now -> how many rows were purged or anonymized
ApplyFn = Callable[[list[Any], datetime], int]
CountFn = Callable[[datetime], int]
# () -> what a run of the rule's batches runs inside (e.g. connection settings for the run)
AroundFn = Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class Rule:
    name: str
    retention: Retention
    does: str  # in words, for `lookout retention plan`
    batch: BatchFn
    apply: ApplyFn
    count: CountFn
    around: AroundFn = nullcontext

    def cutoff(self, now: datetime) -> datetime:
        return now - self.retention.period


def queryset_rule(
    *,
    name: str,
    retention: Retention,
    does: str,
    due: Callable[[datetime], models.QuerySet[Any]],
    apply: ApplyFn | None = None,
) -> Rule:
    """A rule over the rows `due(cutoff)` selects; by default it deletes them.

    Keys are primary keys, taken in order; `apply` receives a batch of them. Deleting goes
    through the ORM (`QuerySet.delete`), so rows that depend on them go too (cascades).
    """

    def batch(cutoff: datetime, cursor: str, limit: int) -> list[Any]:
        rows = due(cutoff)
        if cursor:
            rows = rows.filter(pk__gt=cursor)
        return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])

    def delete(keys: list[Any], now: datetime) -> int:
        model = due(now).model
        deleted = model._default_manager.filter(pk__in=keys).delete()[1]
        return int(deleted.get(model._meta.label, 0))

    def count(cutoff: datetime) -> int:
        return due(cutoff).count()

    return Rule(
        name=name,
        retention=retention,
        does=does,
        batch=batch,
        apply=apply or delete,
        count=count,
    )
