"""The Redis task worker stops when told to (lookout.core.rq_worker): RQ's own worker, told to
stop, sometimes waited a minute on its command channel before exiting, so a deploy or a
service manager's SIGTERM waited on it (or killed it mid-job). Real Redis, RQ's own code."""

from __future__ import annotations

import subprocess
import sys

import pytest
import redis

from lookout.core.serving import worker_command
from lookout.testing.parts import missing, redis_test_url

REDIS_URL = redis_test_url()
ROUNDS = 10


@pytest.fixture
def connection() -> redis.Redis:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        missing("Redis", f"it does not answer at {REDIS_URL}: {exc}")
    return connection


BURSTS = r"""
import sys
import redis
from rq import Queue
from lookout.core.rq_worker import Worker
connection = redis.Redis.from_url(sys.argv[1])
for _ in range(int(sys.argv[2])):
    connection.delete("rq:queue:lookout-stop-test")
    queue = Queue("lookout-stop-test", connection=connection)
    queue.enqueue("time.sleep", 0)
    Worker([queue], connection=connection).work(burst=True)
    assert queue.count == 0
"""


def test_the_worker_stops_when_its_queue_is_done_every_time(connection):
    """RQ's own worker took 60 s to stop in about one burst of three here (measured: 60.0 s,
    0.04 s, 0.04 s, 0.03 s, 60.1 s, 0.1 s); ten bursts of this one all stop in well under a
    second. The bound is on liveness, not speed: a worker that hangs once misses it by far."""
    subprocess.run(
        [sys.executable, "-c", BURSTS, REDIS_URL, str(ROUNDS)],
        check=True,
        timeout=45,
        capture_output=True,
    )


def test_lookout_worker_on_redis_runs_this_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    command = worker_command()
    assert command[command.index("--worker-class") + 1] == "lookout.core.rq_worker.Worker"
