"""Retention rules: what purges or anonymizes each kind of data once its period is over (C4.6).

An app that holds expiring data lists its rules in `<app>/retention.py` as `RULES = [...]`, the
same way it declares its fields in `personal_data.py`; `rules()` collects them. A rule works in
batches of row keys, in key order, so a run can stop after any batch and the next run goes on
from the last key it committed (the run's `cursor`).

Retention periods that no rule enforces must be named in `HANDLED_ELSEWHERE` with the reason;
a test fails on any retention period of the data inventory that has neither.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
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


# Retention periods enforced by something other than a rule here, and why (C4.6).
HANDLED_ELSEWHERE: dict[str, str] = {
    "audit": (
        "The audit log (lookout.audit) is append-only and hash-chained; database triggers refuse "
        "DELETE. Its entries are pseudonymous (subject ids, field names, never values), so after "
        "an erasure or a crypto-shredding they name nobody. Pruning entries older than the "
        "period needs a signed checkpoint of the chain first (lookout.audit, not yet built); "
        "the Django admin's LogEntry rows of the same period are purged by the rule "
        "'admin.log_entries'."
    ),
}


# Rules this app keeps for apps that do not list their own (yet).
BUILTIN = [
    "lookout.retention.rules",
    "lookout.retention.rules_keys",
    "lookout.retention.rules_more",
]


def _modules() -> list[str]:
    names = [
        f"{config.name}.retention"
        for config in apps.get_app_configs()
        if config.name.startswith("lookout.")
    ]
    names += BUILTIN
    return sorted({n for n in names if importlib.util.find_spec(n) is not None})


def rules() -> list[Rule]:
    """Every registered rule, sorted by name; a name registered twice is a programming error."""
    found: dict[str, Rule] = {}
    for module_name in _modules():
        for rule in getattr(importlib.import_module(module_name), "RULES", []):
            if rule.name in found:
                raise ValueError(f"Retention rule {rule.name!r} is registered twice.")
            found[rule.name] = rule
    return [found[name] for name in sorted(found)]


def rule_named(name: str) -> Rule:
    for rule in rules():
        if rule.name == name:
            return rule
    raise LookupError(f"No retention rule is named {name!r}.")
