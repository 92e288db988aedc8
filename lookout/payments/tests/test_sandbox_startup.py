"""Every server process opens the sandbox processor's store as it starts, all at the same moment.

The real server forks several workers; each one builds the processor and so opens (and, the first
time, creates) its SQLite file. None of them may die with "database is locked" while another is
switching the file to WAL.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from sandbox_processor.storage import SessionStore

pytestmark = pytest.mark.database_independent

PROCESSES = 8
ROUNDS = 10


def open_store(path: str, barrier) -> None:
    barrier.wait()
    SessionStore(path)


def test_many_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path):
    context = multiprocessing.get_context("fork")
    exit_codes = []
    for round_number in range(ROUNDS):
        # given a store file nobody has created yet, and processes released together
        path = str(tmp_path / f"round-{round_number}.sqlite3")
        barrier = context.Barrier(PROCESSES)
        workers = [
            context.Process(target=open_store, args=(path, barrier)) for _ in range(PROCESSES)
        ]

        # when they all open it at once
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        exit_codes += [worker.exitcode for worker in workers]

        # then the store is usable afterwards
        assert SessionStore(path).path.exists()

    # and not one process failed
    assert exit_codes == [0] * (PROCESSES * ROUNDS)
