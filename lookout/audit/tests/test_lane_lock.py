"""A transaction takes its audit lane's lock once (PostgreSQL): later entries in the same
transaction reuse it while it is really held, and take it again after a savepoint rollback
released it. The chain stays whole either way."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from lookout.audit.services import CHAIN_LOCK_KEY, _lane_of, record
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
    return sum("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries)


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
