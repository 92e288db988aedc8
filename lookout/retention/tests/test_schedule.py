"""The retention schedule covers every kind of personal data (C4.6): nothing kept forever."""

from __future__ import annotations

import pytest

from lookout.core.inventory import Personal
from lookout.privacy.inventory import collect, raw_tables
from lookout.retention.registry import HANDLED_ELSEWHERE, rules

pytestmark = pytest.mark.database_independent


def _declarations():
    declarations, _ = collect()
    for model, fields in declarations.items():
        for name, d in fields.items():
            yield f"{model._meta.label}.{name}", d
    for table in raw_tables():
        for column, d in table.columns.items():
            yield f"{table.table}.{column}", d


@pytest.mark.commitment("C4.6")
def test_every_personal_field_has_a_retention_period():
    # given the data inventory built from every app's personal_data.py
    # then no personal field lacks a period, and no period is "forever"
    missing = [
        where
        for where, d in _declarations()
        if isinstance(d, Personal) and (d.retention is None or d.retention.period.days <= 0)
    ]
    assert missing == []


@pytest.mark.commitment("C4.6")
def test_every_retention_period_is_enforced_by_a_rule_or_named_handler():
    # given every retention period named in the inventory (personal or not)
    used = {d.retention.name for _, d in _declarations() if d.retention is not None}
    enforced = {rule.retention.name for rule in rules()}
    # then each has a registered rule, or a documented "handled by" entry
    assert used, "the inventory names no retention period at all"
    assert sorted(used - enforced - set(HANDLED_ELSEWHERE)) == []
    # and a documented handler is not an excuse for a period that has no data
    assert set(HANDLED_ELSEWHERE) <= used


def test_rule_names_are_unique_and_described():
    names = [rule.name for rule in rules()]
    assert len(names) == len(set(names))
    assert all(rule.does for rule in rules())
