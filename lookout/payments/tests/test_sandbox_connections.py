"""The sandbox processor's store reuses its SQLite connections across the threads that call it
(each processor call runs in a thread of its own), and never reuses one left mid-transaction."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sandbox_processor.storage import IDLE_CONNECTIONS, SessionStore, StorageConflict


def _create(store: SessionStore, key: str, amount_cents: int = 1000) -> tuple[dict, bool]:
    return store.create(
        idempotency_key=key,
        order_ref="order-1",
        amount_cents=amount_cents,
        currency="USD",
        return_url="/back",
        name_hint=None,
    )


def _in_thread(work) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported to the test's thread below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert errors == []


def test_calls_from_different_threads_share_one_connection(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "processor.sqlite3")
    # when sessions are created from two threads, one after the other
    _in_thread(lambda: _create(store, "key-1"))
    first = list(store._idle)
    _in_thread(lambda: _create(store, "key-2"))
    # then the second call used the connection the first one gave back, and both are stored
    assert store._idle == first and len(first) == 1
    assert store.count() == 2


def test_a_connection_that_saw_an_error_is_closed_not_reused(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "processor.sqlite3")
    _create(store, "key-1")
    (kept,) = store._idle
    # when a write is refused half-way (the same key for another amount)
    with pytest.raises(StorageConflict):
        _create(store, "key-1", amount_cents=2000)
    # then that connection was rolled back and closed, and the next call opens a fresh one
    assert store._idle == []
    with pytest.raises(Exception, match="closed"):
        kept.execute("SELECT 1")
    _create(store, "key-2")
    assert store.count() == 2


def test_idle_connections_are_bounded(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "processor.sqlite3")
    barrier = threading.Barrier(IDLE_CONNECTIONS + 4)

    def hold_one() -> None:
        with store._connect() as db:  # all at once: each thread needs its own connection
            barrier.wait(30)
            db.execute("SELECT 1")

    threads = [threading.Thread(target=hold_one) for _ in range(IDLE_CONNECTIONS + 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(store._idle) == IDLE_CONNECTIONS
