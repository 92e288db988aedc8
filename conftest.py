"""Project-wide test setup.

Every database test may touch both databases (main and key store): personal data is sealed with
keys that live in the key store.
"""

from __future__ import annotations

import os

import freezegun
import pytest

from lookout.testing.passes import refuse_misplaced_independent

# pytest's own clock reads the real time while a test's time is frozen: otherwise a test that
# freezes time in a fixture is reported by `--durations` as taking decades (freezegun's own
# list names "_pytest.runner." with a dot, which no module name starts with). Only the modules
# that time a test: freezegun looks five frames up from each call, and a test's own frames
# sit just below pytest's, whose calls must see the frozen time.
freezegun.configure(extend_ignore_list=["_pytest.runner", "_pytest.timing"])

pytest_plugins = ["lookout.audit.testing"]


ONE_PASS_ONLY = pytest.mark.skip(
    reason="database_independent: it never uses this pass's database (its own SQLite files, or "
    "none), so it runs once, in the SQLite pass"
)


IN_THE_OTHER_PASS = pytest.mark.skip(
    reason="in_postgres_pass: it never uses this pass's database and runs once, in the "
    "PostgreSQL pass beside this one (the two passes of `make test` then take about as long)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every database test may use both databases; and in the PostgreSQL pass of `make test`,
    tests marked `database_independent` are skipped with the reason: they would repeat exactly
    what the SQLite pass beside it runs (decision 0024). Long tests of that
    kind marked `in_postgres_pass` (the fault test) run in the PostgreSQL pass instead, and are
    skipped in the SQLite pass when `make test` runs both (LOOKOUT_POSTGRES_PASS_RUNS=1), so that
    the two passes side by side take about as long. Browser tests never use the pass's
    database either: each runs in one pass (see below)."""
    refuse_misplaced_independent(items)
    second_pass = os.environ.get("DATABASE_URL", "").startswith("postgres")
    postgres_pass_runs = os.environ.get("LOOKOUT_POSTGRES_PASS_RUNS") == "1"
    for item in items:
        independent = item.get_closest_marker("database_independent")
        if second_pass and independent:
            item.add_marker(ONE_PASS_ONLY)
        # A browser test drives a server of its own on its own SQLite files (tests/e2e:
        # prepare_site), whatever the pass: it is `in_postgres_pass` unless marked to run in
        # the SQLite pass, so the passes share the browser work instead of both doing all of it.
        postgres_side = item.get_closest_marker("in_postgres_pass") or (
            item.get_closest_marker("browser") and not independent
        )
        if not second_pass and postgres_pass_runs and postgres_side:
            item.add_marker(IN_THE_OTHER_PASS)
        marker = item.get_closest_marker("django_db")
        if marker is not None and "databases" not in marker.kwargs:
            item.add_marker(
                pytest.mark.django_db(databases="__all__", **marker.kwargs), append=False
            )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and before the test databases are dropped, the read replica's
    connections are closed (lookout.core.replica: in tests, a second connection to the test
    database, which PostgreSQL would not drop while it is open). In between, a transactional
    test's flush empties only the tables that hold rows (lookout.testing.flush: imported here,
    once Django is set up, as it reads models), starting from what the migrations left."""
    from django.db import connections

    from lookout.testing import flush

    with django_db_blocker.unblock():
        flush.remember_migrated_state()
    flush.install()
    yield

    with django_db_blocker.unblock():
        replica = connections["replica"]
        replica.close()
        if hasattr(replica, "close_pool"):
            replica.close_pool()


@pytest.fixture(autouse=True)
def _master_keys(settings, tmp_path_factory):
    """One master key file and one sandbox-processor file for the whole test session, outside
    the repo's var/: `make test` runs the SQLite and PostgreSQL passes at once, and neither may
    see the other's payments."""
    from lookout.vault.master import ensure_master_keys, master_cache

    base = tmp_path_factory.getbasetemp()
    settings.LOOKOUT_MASTER_KEY_FILE = base / "master-keyset.json"
    settings.LOOKOUT_PAYMENT_SANDBOX_DB = base / "sandbox-processor.sqlite3"
    ensure_master_keys()
    yield
    master_cache.clear()
