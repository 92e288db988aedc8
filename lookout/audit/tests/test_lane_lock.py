"""A transaction takes its audit lane's lock once (PostgreSQL): later entries in the same
transaction reuse it while it is really held, and take it again after a savepoint rollback
released it. The chain stays whole either way."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from lookout.audit.models import AuditEntry
from lookout.audit.services import CHAIN_LOCK_KEY, _lane_of, record
from lookout.audit.testing import audit_triggers_suspended, run_writers  # noqa: F401
from lookout.audit.verify import verify_chain

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="advisory locks are PostgreSQL's (SQLite serialises writers with its write lock)",
    ),
]


class Boom(Exception):
    pass


def _another_connection_can_lock(lane: int) -> bool:
    """Whether a different connection (another thread) could take the lane's lock now."""
    answer: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY + lane])
                answer.append(cursor.fetchone()[0])
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(30)
    return answer[0]


def _locks(queries: CaptureQueriesContext) -> int:
    """Statements that took the lane lock (through the lock-then-head function)."""
    return sum("lookout_audit_lane_head(" in q["sql"] for q in queries.captured_queries)


@pytest.mark.commitment("C4.4")
def test_entries_of_one_transaction_take_the_lane_lock_once():
    lane = _lane_of(connection)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            for n in range(4):
                record(actor=None, action="test.entry", detail={"n": n})
        # then one lock statement for four entries, and the lock is really held
        assert _locks(queries) == 1
        assert not _another_connection_can_lock(lane)
    # and it is released at commit, with the chain whole
    assert _another_connection_can_lock(lane)
    assert verify_chain().ok


@pytest.mark.commitment("C4.4")
def test_a_lock_released_by_a_savepoint_rollback_is_taken_again():
    lane = _lane_of(connection)
    with transaction.atomic():
        # given an entry written in a savepoint that is then rolled back
        with pytest.raises(Boom), transaction.atomic():
            record(actor=None, action="test.rolled_back")
            raise Boom
        # PostgreSQL released the lock taken inside it
        assert _another_connection_can_lock(lane)
        # when the transaction writes another entry
        with CaptureQueriesContext(connection) as queries:
            record(actor=None, action="test.kept")
        # then it took the lock again, and holds it
        assert _locks(queries) == 1
        assert not _another_connection_can_lock(lane)
    assert verify_chain().ok


def test_a_new_transaction_takes_the_lock_again():
    with transaction.atomic():
        record(actor=None, action="test.first")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record(actor=None, action="test.second")
    assert _locks(queries) == 1
    assert verify_chain().ok


def test_the_first_entry_takes_the_lock_and_reads_the_head_in_one_round_trip():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record(actor=None, action="test.first")
    # the lock and the head read in one call (a function, migration 0005), then the insert:
    # two round trips
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 2, statements
    assert "lookout_audit_lane_head(" in statements[0]
    assert statements[1].startswith("INSERT")


def test_the_function_takes_the_lock_before_it_reads_the_head():
    # As installed in the database (not as the migration's text says): the lock statement
    # comes first, and the function is VOLATILE, so the read after it takes a fresh snapshot.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc, provolatile FROM pg_proc WHERE proname = 'lookout_audit_lane_head'"
        )
        source, volatility = cursor.fetchone()
    assert volatility == "v"
    assert source.index("pg_advisory_xact_lock") < source.index("audit_auditentry")


@pytest.mark.commitment("C4.4")
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_writers_sharing_one_lane_read_its_head_only_after_the_lock(settings):
    # Given one lane for every connection, so that every writer waits for the others' commits
    settings.LOOKOUT_AUDIT_LANES = 1
    writers, each = 4, 10

    def write(number: int) -> None:
        for n in range(each):
            with transaction.atomic():  # a transaction each: the lock is taken every time
                record(actor=None, action="test.shared_lane", detail={"w": number, "n": n})

    errors = run_writers(writers, write)
    # Then no writer read a head older than the last commit: the one chain is whole, numbered
    # 1, 2, 3, ... without a hole or a repeat
    assert errors == []
    result = verify_chain()
    assert (result.ok, result.checked) == (True, writers * each)
    places = AuditEntry.objects.filter(lane=1).order_by("lane_seq")
    assert list(places.values_list("lane_seq", flat=True)) == list(range(1, writers * each + 1))
