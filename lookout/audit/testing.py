"""Test helpers for the append-only audit log. A plain module, imported by tests only.

`audit_triggers_suspended` (pytest fixture) — for `@pytest.mark.django_db(transaction=True)`
tests that write audit entries. Such tests end with Django flushing the database; on SQLite the
flush is a `DELETE FROM audit_auditentry`, which the append-only triggers refuse, so the test
would fail in teardown. The fixture leaves the triggers in force during the test and, at its
end, drops them, empties the audit table and re-creates them, all in one transaction. Use it
with:

    from lookout.audit.testing import audit_triggers_suspended  # noqa: F401

    @pytest.mark.django_db(transaction=True)
    @pytest.mark.usefixtures("audit_triggers_suspended")
    def test_something_concurrent(): ...

(or list `lookout.audit.testing` in `pytest_plugins`). It requests `transactional_db` itself,
so the database is set up before it and flushed after it. PostgreSQL flushes with TRUNCATE,
which the triggers do not see, but the fixture works there too.

`run_writers(count, write)` — runs `write(number)` in `count` threads released together, each
closing its connections at the end, and returns what they raised (to assert it is empty).

`_audit_checkpoint_dir` (autouse) — every test gets a checkpoint directory of its own (not yet
created), so checkpoints written by one test, or by a developer's `var/`, are never checked
against another test's log.

`append_only_suspended()` — a context manager for tests that tamper with the log on purpose
("what if someone edits an entry behind the triggers' back?").
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections, router, transaction

from lookout.audit.models import AuditEntry
from lookout.audit.triggers import create_triggers, drop_triggers


@contextmanager
def append_only_suspended() -> Iterator[None]:
    """Drop the triggers for the duration of the block, then re-create them.

    Runs in one transaction, so the triggers cannot stay dropped if the block fails.
    """
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    with transaction.atomic(using=using):
        drop_triggers(connection)
        yield
        create_triggers(connection)


@pytest.fixture(autouse=True)
def _audit_checkpoint_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A fresh, per-test LOOKOUT_AUDIT_CHECKPOINT_DIR (a path only: made on first write)."""
    base = tmp_path_factory.getbasetemp()
    settings.LOOKOUT_AUDIT_CHECKPOINT_DIR = base / f"audit-checkpoints-{uuid.uuid4().hex}"


@pytest.fixture
def audit_triggers_suspended(transactional_db: None) -> Iterator[None]:
    """Empty the audit log (triggers briefly dropped) before a transactional test's flush."""
    yield
    with append_only_suspended():
        AuditEntry.objects.all().delete()


def run_writers(count: int, write: Callable[[int], None]) -> list[BaseException]:
    """Concurrent writers for chain tests: `write(0)` ... `write(count - 1)`, each in its own
    thread, all released at once by a barrier; the errors they raised, for the caller to check."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            write(number)
        except BaseException as error:  # reported to the caller's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
