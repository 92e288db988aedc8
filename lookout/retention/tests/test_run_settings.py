"""What the order rule does to the worker's database connections for the time of a run: on
SQLite a larger page cache while its batches run, and the connection as it was afterwards, also
when a batch fails. Nothing about durability changes (journal mode, synchronous, secure_delete).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from lookout.retention import deliveries
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.vault.routers import KEYSTORE

SETTINGS = ("cache_size", "journal_mode", "synchronous", "secure_delete")


def _pragmas(alias: str) -> dict[str, Any]:
    with connections[alias].cursor() as sql:
        found = {}
        for name in SETTINGS:
            sql.execute(f"PRAGMA {name}")
            found[name] = sql.fetchone()[0]
        return found


class Failed(Exception):
    pass


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, KEYSTORE])
@pytest.mark.parametrize("fails", [False, True])
def test_a_run_has_a_larger_cache_and_leaves_the_connections_as_it_found_them(fails):
    aliases = [a for a in (DEFAULT_DB_ALIAS, KEYSTORE) if connections[a].vendor == "sqlite"]
    if not aliases:
        pytest.skip("SQLite only: PostgreSQL keeps its server-side settings")
    # given the worker's connections as they are before a run
    before = {alias: _pragmas(alias) for alias in aliases}
    real = rule_named("orders.delivery_personal_data")
    during: dict[str, dict[str, Any]] = {}

    def looking(cutoff: datetime, cursor: str, limit: int) -> Any:
        during.update({alias: _pragmas(alias) for alias in aliases})
        if fails:
            raise Failed
        return real.batch(cutoff, cursor, limit)

    # when the order rule runs (and, once, its batch fails)
    if fails:
        with pytest.raises(Failed):
            run_rule(rule=replace(real, batch=looking))
    else:
        run_rule(rule=replace(real, batch=looking))

    # then its batches ran with the larger cache and the same durability settings
    for alias in aliases:
        assert during[alias]["cache_size"] == -deliveries.RUN_CACHE_KIB
        assert {k: v for k, v in during[alias].items() if k != "cache_size"} == {
            k: v for k, v in before[alias].items() if k != "cache_size"
        }
    # and afterwards every setting is back as it was
    assert {alias: _pragmas(alias) for alias in aliases} == before
