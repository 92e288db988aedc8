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

from django.apps import apps

# The shape of a rule is core's, so that apps build theirs without importing this app.
from lookout.core.retention_rules import (
    ApplyFn,
    AroundFn,
    BatchFn,
    CountFn,
    Rule,
    queryset_rule,
)

__all__ = [
    "BUILTIN",
    "HANDLED_ELSEWHERE",
    "ApplyFn",
    "AroundFn",
    "BatchFn",
    "CountFn",
    "Rule",
    "queryset_rule",
    "rule_named",
    "rules",
]


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
