"""Batched writes for analytics events: a beacon's events wait in memory for at most a quarter
of a second, then a background thread writes everything that arrived meanwhile with one INSERT.

Why not one INSERT per beacon (decision 0022)? On PostgreSQL the round trip and the commit cost
more than everything else a beacon does, so ingestion stopped at about 2,700 events/s, half of
what issue 10 asks. Why is waiting in memory acceptable here and nowhere else in the store?
- `navigator.sendBeacon` never reads the answer and never retries: answering after the disk
  write promised the browser nothing it could act on.
- Only anonymised rows wait here (device class, browser family, network prefix, hashed visitor):
  raw IP addresses and user agents are dropped before a row is built, exactly as before.
- What a crash can lose is the last quarter second of page-view statistics of one process. A
  normal stop (SIGTERM, `lookout serve` shutting down) writes the buffer out first (tested
  through the real server in tests/ops/test_serve.py).
- If the database refuses a write, the rows stay queued and the next flush tries again; past
  `MAX_QUEUED_ROWS` new events are counted as dropped instead of growing memory without bound.
  While the database stays away, the thread waits twice as long after each failed write (up to
  `MAX_RETRY_SECONDS`) and logs a warning only at the first failure and then at each doubling of
  their count, and once more when writes succeed again: an outage of minutes leaves a handful of
  log lines, not four a second per process.

Every other write in the store (orders, consent, audit, ...) still commits before it answers.
`LOOKOUT_ANALYTICS_FLUSH_SECONDS = 0` writes each beacon before answering (the old behaviour).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connections

from lookout.core import metrics

log = logging.getLogger(__name__)

# For /healthz (lookout_analytics_events_*): counts only, no event content.
QUEUED = metrics.gauge("analytics_events_queued", "Analytics events waiting in memory")
COUNTED = {
    "flushed": metrics.counter("analytics_events_flushed_total", "Analytics events written"),
    "dropped": metrics.counter(
        "analytics_events_dropped_total", "Analytics events dropped: the queue was full"
    ),
    "flush_errors": metrics.counter(
        "analytics_events_flush_errors_total", "Writes of analytics events the database refused"
    ),
}

DEFAULT_FLUSH_SECONDS = 0.25
MAX_ROWS_PER_INSERT = 500  # 14 columns x 500 rows: well under SQLite's 32,766 parameters
MAX_QUEUED_ROWS = 50_000
MAX_RETRY_SECONDS = 30.0


def retry_seconds(failures: int) -> float:
    """How long the thread waits before writing again after `failures` failed writes in a row:
    the flush interval, doubled per failure, at most MAX_RETRY_SECONDS."""
    if failures <= 0:
        return flush_seconds()
    return min(MAX_RETRY_SECONDS, max(flush_seconds(), 0.05) * 2.0 ** min(failures, 16))


Row = tuple[Any, ...]
Writer = Callable[[Sequence[Row]], None]


def flush_seconds() -> float:
    return float(getattr(settings, "LOOKOUT_ANALYTICS_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS))


class EventBuffer:
    """Rows waiting to be written, and the thread that writes them (one per process).

    The thread starts with the first row, in the process that queued it: a server worker forked
    from a parent that had a buffer starts its own (the parent's thread does not survive a fork).
    """

    def __init__(
        self, write: Writer, *, max_queued: int = MAX_QUEUED_ROWS, autostart: bool = True
    ) -> None:
        self._write = write
        self._max_queued = max_queued
        self._autostart = autostart  # False: only explicit flush() writes (tests of flushing)
        self._rows: list[Row] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._flushing = threading.Lock()  # one writer at a time: the thread, atexit, a test
        self._pid = os.getpid()  # the process whose rows these are
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.stats = {"flushed": 0, "dropped": 0, "flush_errors": 0}
        self._failures = 0  # failed writes in a row

    # --- queueing ------------------------------------------------------------------------
    def add(self, rows: Sequence[Row]) -> int:
        """Queue rows; how many were kept (fewer only when the queue is full)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's rows are the parent's
                self._rows, self._pid, self._thread = [], os.getpid(), None
                self._flushing = threading.Lock()
            was_empty = not self._rows
            room = max(0, self._max_queued - len(self._rows))
            kept = list(rows[:room])
            self._rows.extend(kept)
            QUEUED.set(len(self._rows))
            self._count("dropped", len(rows) - len(kept))
            if not self._autostart:
                return len(kept)
            # Wake the thread for the first row (it then lets a batch gather) or a full batch;
            # not for every row, or batches would never gather.
            if (was_empty and kept) or len(self._rows) >= MAX_ROWS_PER_INSERT:
                self._wake.notify()
        self._ensure_thread()
        return len(kept)

    def queued(self) -> int:
        with self._lock:
            return len(self._rows)

    # --- writing -------------------------------------------------------------------------
    def flush(self) -> int:
        """Write every queued row now; how many were written. On a database error the rows go
        back to the front of the queue and the error is logged (counted in `flush_errors`)."""
        with self._flushing:
            with self._lock:
                rows, self._rows = self._rows, []
                QUEUED.set(0)
            written = 0
            try:
                for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
                    batch = rows[start : start + MAX_ROWS_PER_INSERT]
                    self._write(batch)
                    written += len(batch)
            except Exception as error:
                with self._lock:
                    # Back to the front, order kept; rows that arrived meanwhile are the ones
                    # dropped if that overfills the queue, so it stays within its bound.
                    self._rows[:0] = rows[written:]
                    overflow = len(self._rows) - self._max_queued
                    if overflow > 0:
                        del self._rows[-overflow:]
                        self._count("dropped", overflow)
                    QUEUED.set(len(self._rows))
                    self._count("flush_errors", 1)
                    self._failures += 1
                    failures = self._failures
                if failures & (failures - 1) == 0:  # the 1st, 2nd, 4th, 8th, ... in a row
                    log.warning(
                        "analytics events not written yet (%d failed writes in a row), "
                        "retrying: %s",
                        failures,
                        type(error).__name__,
                    )
            else:
                with self._lock:
                    failures, self._failures = self._failures, 0
                if failures:
                    log.warning("analytics events written again after %d failed writes", failures)
            finally:
                self._count("flushed", written)
            return written

    def _count(self, name: str, amount: int) -> None:
        """This buffer's own count (tests read it) and the process's counter (/healthz)."""
        if amount:
            self.stats[name] += amount
            COUNTED[name].inc(amount)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._rows and not self._stopping:
                    self._wake.wait()  # nothing queued: sleep until a row arrives
                if self._failures and not self._stopping:
                    # The database refused the last write: wait out the back-off, whatever
                    # arrives meanwhile (a stop still ends the wait).
                    deadline = time.monotonic() + retry_seconds(self._failures)
                    while not self._stopping and (left := deadline - time.monotonic()) > 0:
                        self._wake.wait(left)
                elif len(self._rows) < MAX_ROWS_PER_INSERT and not self._stopping:
                    self._wake.wait(flush_seconds())  # let a batch gather
                stopping = self._stopping
            try:
                self.flush()
            finally:
                connections.close_all()  # this thread's connection goes back to the pool
            if stopping:
                return

    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._pid == pid and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == pid and self._thread is not None and self._thread.is_alive():
                return
            self._pid, self._stopping = pid, False
            self._thread = threading.Thread(
                target=self._run, name="lookout-analytics-flush", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued and end the thread (atexit; tests)."""
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            with self._lock:
                self._stopping = True
                self._wake.notify()
            thread.join(timeout)
        if self._pid == os.getpid():
            self.flush()
            connections.close_all()


_buffer: EventBuffer | None = None
_buffer_lock = threading.Lock()


def event_buffer() -> EventBuffer:
    """The process's buffer, writing with `lookout.analytics.services.write_rows`."""
    global _buffer
    if _buffer is None:
        with _buffer_lock:
            if _buffer is None:
                from lookout.analytics.services import write_rows

                _buffer = EventBuffer(write_rows)
                # A normal stop writes what waits. Server workers are multiprocessing children,
                # which leave through os._exit (no atexit) after running these finalizers.
                atexit.register(_buffer.stop)
                multiprocessing.util.Finalize(None, _buffer.stop, exitpriority=10)
    return _buffer


def _forget_in_child() -> None:
    """A forked child starts without the parent's buffer: it makes its own on first use, with
    its own locks (one held at the fork would never be released here) and its own flush at
    exit (multiprocessing drops the parent's finalizers in a child)."""
    global _buffer, _buffer_lock
    _buffer, _buffer_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
