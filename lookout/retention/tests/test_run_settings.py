"""What the order rule does to the worker's database connections for the time of a run: on
SQLite a larger page cache and statement journals in memory while its batches run, and the
connections as they were afterwards, also when a batch fails. Nothing about durability changes
(journal mode, synchronous, secure_delete).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.retention import deliveries
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.vault.routers import KEYSTORE

SETTINGS = ("cache_size", "temp_store", "journal_mode", "synchronous", "secure_delete")
DURABILITY = ("journal_mode", "synchronous", "secure_delete")


def _sqlite_aliases() -> list[str]:
    aliases = [a for a in (DEFAULT_DB_ALIAS, KEYSTORE) if connections[a].vendor == "sqlite"]
    if not aliases:
        pytest.skip("SQLite only: PostgreSQL keeps its server-side settings")
    return aliases


def _pragmas(alias: str) -> dict[str, Any]:
    with connections[alias].cursor() as sql:
        found = {}
        for name in SETTINGS:
            sql.execute(f"PRAGMA {name}")
            found[name] = sql.fetchone()[0]
        return found


class Failed(Exception):
    pass


def _run_watched(*, fails: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Settings of the SQLite connections before, during (at the first batch) and after a run
    of the order rule."""
    aliases = _sqlite_aliases()
    before = {alias: _pragmas(alias) for alias in aliases}
    real = rule_named("orders.delivery_personal_data")
    during: dict[str, dict[str, Any]] = {}

    def looking(cutoff: datetime, cursor: str, limit: int) -> Any:
        during.update({alias: _pragmas(alias) for alias in aliases})
        if fails:
            raise Failed
        return real.batch(cutoff, cursor, limit)

    if fails:
        with pytest.raises(Failed):
            run_rule(rule=replace(real, batch=looking))
    else:
        run_rule(rule=replace(real, batch=looking))
    return before, during, {alias: _pragmas(alias) for alias in aliases}


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, KEYSTORE], transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")  # a finished run is audited
@pytest.mark.parametrize("fails", [False, True])
def test_a_worker_run_works_in_memory_and_leaves_the_connections_as_it_found_them(fails):
    # when the order rule runs as the worker runs it, outside any transaction (once failing)
    before, during, after = _run_watched(fails=fails)

    # then its batches ran with the larger cache, journals in memory, the same durability
    for alias in before:
        assert {k: during[alias][k] for k in deliveries.RUN_PRAGMAS} == deliveries.RUN_PRAGMAS
        assert {k: during[alias][k] for k in DURABILITY} == {
            k: before[alias][k] for k in DURABILITY
        }
    # and afterwards every setting is back as it was
    assert after == before


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, KEYSTORE])
def test_a_run_inside_a_transaction_gets_the_cache_and_leaves_the_rest_alone():
    # when the order rule runs inside a caller's transaction
    before, during, after = _run_watched(fails=False)

    # then only the cache grew for its batches (temp_store cannot change inside a transaction)
    for alias in before:
        assert during[alias]["cache_size"] == deliveries.RUN_PRAGMAS["cache_size"]
        assert {k: v for k, v in during[alias].items() if k != "cache_size"} == {
            k: v for k, v in before[alias].items() if k != "cache_size"
        }
    # and afterwards every setting is back as it was
    assert after == before
