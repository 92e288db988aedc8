"""The read replica (lookout.core.replica): the trend reports read there and nothing else does;
writes, migrations and the key store never go there; an unreachable replica costs a report
nothing. In tests the replica is a second connection to the test database (settings), so what
it reads is what a replica holds: committed data."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.test.utils import CaptureQueriesContext

from lookout.analytics import reports, services
from lookout.analytics.models import Event
from lookout.catalog.tests import factories
from lookout.core.replica import REPLICA, replica_reads
from lookout.orders.models import OrderLine
from lookout.vault.models import DataKey

REPO = Path(__file__).resolve().parents[3]
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0.0.0 Safari/537.36"


def _views(sku: str, slug: str, visitors: int) -> None:
    for i in range(visitors):
        services.ingest(
            payload={"kind": "view", "path": f"/p/{slug}/", "sku": sku},
            ip=f"10.1.{i}.1",
            user_agent=CHROME,
            host="testserver",
        )


@pytest.mark.django_db(transaction=True)
def test_every_query_of_a_report_runs_on_the_replica_and_none_on_the_primary():
    # given a product seen by six visitors (committed, so the replica holds it)
    product = factories.product(name="Replica Cam")
    _views(product.sku, product.slug, 6)
    # when every report is built
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        tables = reports.all_tables(days=7)
        daily = reports.daily_visitors(since=reports.since(7))
    # then the replica answered all of it, with the committed figures
    assert len(on_replica) >= 5
    assert len(on_primary) == 0
    row = next(r for r in tables["products"].rows if "Replica Cam" in r)
    assert 6 in row
    assert sum(v for _, v in daily if isinstance(v, int)) == 6


@pytest.mark.django_db
def test_outside_a_report_every_read_and_write_goes_to_the_primary_or_the_key_store():
    assert router.db_for_read(Event) == DEFAULT_DB_ALIAS
    assert router.db_for_read(DataKey) == "keystore"
    with replica_reads() as alias:
        assert alias == REPLICA
        assert router.db_for_read(Event) == REPLICA
        assert router.db_for_read(OrderLine) == REPLICA
        # the key store has no replica; writes and migrations never go to one
        assert router.db_for_read(DataKey) == "keystore"
        assert router.db_for_write(Event) == DEFAULT_DB_ALIAS
        assert router.db_for_write(DataKey) == "keystore"
    assert router.db_for_read(Event) == DEFAULT_DB_ALIAS
    assert not router.allow_migrate(REPLICA, "analytics")
    assert not router.allow_migrate(REPLICA, "vault")


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_replica_leaves_the_report_to_the_primary(caplog):
    # given a replica that cannot be reached (a closed port, a file in a missing directory)
    product = factories.product(name="Fallback Cam")
    _views(product.sku, product.slug, 6)
    replica = connections[REPLICA]
    saved = dict(replica.settings_dict)
    _close(replica)
    if replica.vendor == "postgresql":
        replica.settings_dict.update(PORT="1", OPTIONS={**saved["OPTIONS"], "pool": False})
    else:
        replica.settings_dict["NAME"] = "/nonexistent-lookout-dir/replica.sqlite3"
    try:
        # when a report is built
        with (
            caplog.at_level(logging.WARNING, logger="lookout.core.replica"),
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        ):
            tables = reports.all_tables(days=7)
    finally:
        _close(replica)
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)
    # then the primary answered it, and the log says why (the error's kind, not its text)
    assert len(on_primary) >= 5
    assert any("Fallback Cam" in r for r in tables["products"].rows)
    assert caplog.text.count("read replica unreachable (OperationalError)") == 1  # once a report


def _close(connection) -> None:
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()


def _aliases(tmp_path: Path, **env: str) -> dict[str, dict]:
    code = (
        "import json, lookout.settings as s; "
        "print(json.dumps({a: {'ENGINE': d['ENGINE'], 'OPTIONS': d['OPTIONS']} "
        "for a, d in s.DATABASES.items()}))"
    )
    environ = {k: v for k, v in os.environ.items() if k != "REPLICA_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, "LOOKOUT_ENV": "development", "LOOKOUT_VAR_DIR": str(tmp_path), **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def test_the_operator_adds_a_replica_with_one_variable(tmp_path: Path):
    assert REPLICA not in _aliases(tmp_path)
    with_replica = _aliases(
        tmp_path, REPLICA_DATABASE_URL="postgres://reader@replica.internal:5432/lookout"
    )
    assert with_replica[REPLICA]["ENGINE"] == "django.db.backends.postgresql"
    # one that is away costs a report seconds, not the primary's ten
    assert with_replica[REPLICA]["OPTIONS"]["pool"]["timeout"] == 3
    assert with_replica[REPLICA]["OPTIONS"]["connect_timeout"] == 3


@pytest.mark.django_db
def test_a_report_inside_a_report_keeps_the_outer_choice():
    with replica_reads() as outer:
        with replica_reads() as inner:
            assert inner == outer == REPLICA
        assert router.db_for_read(Event) == REPLICA
    assert router.db_for_read(Event) == DEFAULT_DB_ALIAS
