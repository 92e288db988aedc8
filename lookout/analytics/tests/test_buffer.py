"""Batched analytics writes (buffer.py): every accepted event reaches the database, in far fewer
INSERTs than beacons, even when the database refuses a write for a while; a stop writes what is
queued; a full queue counts what it drops instead of growing without bound."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence

import pytest
from django.test import Client

from lookout.analytics import buffer, services
from lookout.analytics.models import Event
from lookout.testing.raw import raw_database_bytes

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36 BufferMarker/3.1"
)
VIEW = {"kind": "view", "path": "/c/outdoor-cameras/"}


class CountingWriter:
    """The real writer (services.write_rows), counting the INSERTs it makes; it can refuse the
    first `fail` writes the way a database that is briefly away does."""

    def __init__(self, fail: int = 0) -> None:
        self.batches: list[int] = []
        self.fail = fail

    def __call__(self, rows: Sequence[tuple[object, ...]]) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("database went away")
        services.write_rows(rows)
        self.batches.append(len(rows))


def _rows(count: int) -> list[tuple[object, ...]]:
    """`count` stored-event rows as ingest builds them."""
    from django.utils import timezone

    at = services._db_time(timezone.now())
    shared = ("desktop", "Chrome", "140", "", "v", False, at)
    return [("view", f"/p/item-{i}/", "", "", "", None, None, *shared) for i in range(count)]


def _wait_for(count: int, seconds: float = 10.0) -> int:
    deadline = time.monotonic() + seconds
    while (stored := Event.objects.count()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return stored


@pytest.fixture
def buffered(settings):
    """The buffer on (as in production), one fresh buffer per test, stopped afterwards."""
    settings.LOOKOUT_ANALYTICS_FLUSH_SECONDS = 0.1
    made: list[buffer.EventBuffer] = []

    def make(writer, **kwargs) -> buffer.EventBuffer:
        made.append(buffer.EventBuffer(writer, **kwargs))
        return made[-1]

    yield make
    for each in made:
        each.stop()


@pytest.mark.commitment("C2.4")
@pytest.mark.django_db(transaction=True)
def test_beacons_through_the_endpoint_are_stored_in_batches(settings, monkeypatch, buffered):
    # given the endpoint with the buffer on, writing through the real writer
    writer = CountingWriter()
    monkeypatch.setattr(buffer, "_buffer", buffered(writer))
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT=CHROME)
    # when 300 beacons arrive
    for i in range(300):
        response = client.post(
            "/analytics/beacon",
            json.dumps({"events": [VIEW, {**VIEW, "path": f"/p/item-{i}/"}]}),
            content_type="text/plain",
        )
        assert response.status_code == 204
        assert response["X-Events-Kept"] == "2"
    # then all 600 events are stored, with far fewer INSERTs than beacons
    assert _wait_for(600) == 600
    assert sum(writer.batches) == 600
    assert len(writer.batches) < 100, writer.batches
    # and what waited in memory was anonymised first: no full IP or user agent on disk
    raw = raw_database_bytes()
    assert b"203.0.113.77" not in raw and b"BufferMarker" not in raw


@pytest.mark.django_db(transaction=True)
def test_rows_refused_by_the_database_are_written_by_a_later_flush(buffered):
    # given a database that refuses the first two writes (flushed by hand here)
    writer = CountingWriter(fail=2)
    events = buffered(writer, autostart=False)
    # when rows are queued, and the buffer flushes while the database is away
    events.add(_rows(40))
    assert events.flush() == 0
    events.add(_rows(10))
    assert events.flush() == 0
    # then nothing is lost, and the next flush writes everything, in order
    assert events.queued() == 50
    assert events.flush() == 50
    assert Event.objects.count() == 50
    assert events.stats["flush_errors"] == 2 and events.stats["flushed"] == 50


@pytest.mark.django_db(transaction=True)
def test_stopping_writes_what_is_queued(settings, buffered):
    # given a buffer that would wait a long time before writing
    settings.LOOKOUT_ANALYTICS_FLUSH_SECONDS = 60
    events = buffered(CountingWriter())
    events.add(_rows(7))
    # when the process stops (atexit calls stop)
    events.stop()
    # then the rows are in the database at once
    assert Event.objects.count() == 7
    assert events.queued() == 0


@pytest.mark.django_db(transaction=True)
def test_a_full_queue_counts_what_it_drops(buffered):
    # given a database that is away and a queue with room for 25 rows
    events = buffered(CountingWriter(fail=1_000), max_queued=25, autostart=False)
    # when 30 rows arrive
    kept = events.add(_rows(20)) + events.add(_rows(10))
    # then 25 wait, 5 are counted as dropped, and memory stays bounded
    assert kept == 25
    assert events.queued() == 25
    assert events.stats["dropped"] == 5


@pytest.mark.django_db(transaction=True)
def test_large_bursts_are_split_into_inserts_the_database_accepts(buffered):
    # given more rows than one INSERT may carry (SQLite's parameter limit)
    writer = CountingWriter()
    events = buffered(writer)
    events.add(_rows(buffer.MAX_ROWS_PER_INSERT * 2 + 3))
    # when it flushes
    events.stop()
    # then every row is stored, no INSERT larger than the limit
    assert Event.objects.count() == buffer.MAX_ROWS_PER_INSERT * 2 + 3
    assert max(writer.batches) <= buffer.MAX_ROWS_PER_INSERT


@pytest.mark.django_db(transaction=True)
def test_the_health_metrics_count_the_buffer(client, monkeypatch, buffered):
    # (the counters are the process's, since it started: the test reads what it adds)
    dropped_before = client.get("/healthz").json()["metrics"]["analytics_events_dropped_total"]
    events = buffered(CountingWriter(fail=1_000), max_queued=3, autostart=False)
    monkeypatch.setattr(buffer, "_buffer", events)
    events.add(_rows(5))
    figures = client.get("/healthz").json()["metrics"]
    assert figures["analytics_events_queued"] == 3
    assert figures["analytics_events_dropped_total"] - dropped_before == 2


@pytest.mark.django_db(transaction=True)
def test_rows_put_back_after_a_failed_write_keep_the_queue_within_its_bound(buffered):
    # given a full queue of 10, and 5 more rows arriving while a write fails
    events: buffer.EventBuffer

    late = [(row[0], str(row[1]).replace("item", "late"), *row[2:]) for row in _rows(5)]

    def failing_while_rows_arrive(rows: Sequence[tuple[object, ...]]) -> None:
        events.add(late)
        raise ConnectionError("database went away")

    events = buffered(failing_while_rows_arrive, max_queued=10, autostart=False)
    first = _rows(10)
    events.add(first)
    # when the flush fails
    assert events.flush() == 0
    # then the oldest rows wait, in order, and the newest are counted as dropped
    assert events._rows == first
    assert events.stats["dropped"] == 5


def test_a_forked_child_keeps_its_own_rows_and_gets_its_own_buffer(monkeypatch) -> None:
    import os

    # Given a parent whose buffer holds rows, and that is the process's buffer
    parent = buffer.EventBuffer(lambda rows: None, autostart=False)
    parent.add([("parent",), ("parent",)])
    monkeypatch.setattr(buffer, "_buffer", parent)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's exit handlers
        try:
            kept = parent.add([("child",)])
            answer = f"{kept},{parent.queued()},{buffer._buffer is None}"
        except BaseException as error:  # reported to the parent
            answer = type(error).__name__
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    answer = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(pid, 0)
    # Then in the child the row it added is kept, without the parent's two, and the process's
    # buffer is a new one to be made there; the parent still holds its own rows
    assert answer == "1,1,True"
    assert parent.queued() == 2


def test_the_wait_after_failed_writes_doubles_up_to_a_bound(settings):
    settings.LOOKOUT_ANALYTICS_FLUSH_SECONDS = 0.1
    waits = [buffer.retry_seconds(n) for n in range(8)]
    assert waits[:4] == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert all(later >= earlier for earlier, later in itertools.pairwise(waits))
    assert buffer.retry_seconds(50) == buffer.MAX_RETRY_SECONDS


class Outage(CountingWriter):
    """A database that refuses `fail` writes in a row, counting every attempt."""

    def __init__(self, fail: int) -> None:
        super().__init__(fail=fail)
        self.attempts = 0

    def __call__(self, rows: Sequence[tuple[object, ...]]) -> None:
        self.attempts += 1
        super().__call__(rows)


@pytest.mark.django_db(transaction=True)
def test_during_an_outage_the_thread_backs_off_and_logs_a_few_lines(settings, buffered, caplog):
    # given a database that stays away, and a flush interval that would retry 100 times a second
    settings.LOOKOUT_ANALYTICS_FLUSH_SECONDS = 0.01
    writer = Outage(fail=10_000)
    events = buffered(writer)
    # when events wait for a second
    with caplog.at_level("WARNING", logger="lookout.analytics.buffer"):
        events.add(_rows(5))
        time.sleep(1.0)
        attempts = writer.attempts
    # then it tried only a few times (waits of 0.1, 0.2, 0.4, 0.8 s), and said so in fewer lines
    assert 1 <= attempts <= 6
    warnings = [r for r in caplog.records if "not written yet" in r.getMessage()]
    assert 1 <= len(warnings) <= 3  # the 1st, 2nd and 4th failure in a row
    assert events.queued() == 5  # nothing lost


@pytest.mark.commitment("C2.4")
@pytest.mark.django_db(transaction=True)
def test_after_an_outage_everything_queued_is_written(settings, buffered, caplog):
    settings.LOOKOUT_ANALYTICS_FLUSH_SECONDS = 0.05
    writer = Outage(fail=3)
    events = buffered(writer)
    with caplog.at_level("WARNING", logger="lookout.analytics.buffer"):
        events.add(_rows(12))
        assert _wait_for(12) == 12
    assert writer.attempts == 4  # three refused, then one that wrote everything
    assert any("written again after 3 failed writes" in r.getMessage() for r in caplog.records)
