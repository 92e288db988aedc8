"""The scheduler's loop outlives its Redis queue going away (issue 27, finding 6, for the Redis
side): a private `redis-server` is stopped under the running loop and started again, and the
loop enqueues the next job that falls due. (The database side: tests/ops/test_scheduler_survives.)
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from lookout.core.scheduler import run_forever
from lookout.retention.models import ScheduledJob
from lookout.testing.parts import missing
from lookout.testing.ports import free_port


class PrivateRedis:
    def __init__(self, port: int, directory: str) -> None:
        self.port, self.directory = port, directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        for _ in range(200):
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.025)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        missing("redis-server", "no redis-server to start")
    server = PrivateRedis(free_port(), str(tmp_path))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _until(lines: list[str], needle: str, loop: threading.Thread) -> None:
    deadline = time.monotonic() + 30
    while not any(needle in line for line in lines) and time.monotonic() < deadline:
        assert loop.is_alive(), lines
        time.sleep(0.05)
    assert any(needle in line for line in lines), lines


def _due(name: str) -> None:
    ScheduledJob.objects.filter(name=name).update(next_run_at=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db(transaction=True)  # the loop runs in a thread of its own
def test_the_scheduler_loop_outlives_a_redis_restart_and_enqueues_the_next_due_job(
    settings, private_redis
):
    # (not as "default": @task() takes its task class from the default backend at import time)
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
        "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    }
    settings.RQ_QUEUES = {
        "default": {"URL": private_redis.url, "QUEUE_CLASS": "lookout.core.taskqueue.RetryingQueue"}
    }
    stop = threading.Event()
    lines: list[str] = []
    failures: list[BaseException] = []

    def scheduler() -> None:
        try:
            run_forever(
                stop=stop,
                backend="redis",
                say=lines.append,
                max_sleep=1,
                first_backoff=0.1,
                max_backoff=0.4,
            )
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    # given the scheduler's loop running on the Redis queue, and a job falling due
    loop = threading.Thread(target=scheduler)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        used = ["retention.daily", "analytics.daily"]  # their rows exist after the first pass
        while (
            ScheduledJob.objects.filter(name__in=used).count() < 2 and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        _due("retention.daily")
        _until(lines, "Enqueued retention.daily", loop)
        # when Redis stops under it, the loop's passes fail
        private_redis.stop()
        _until(lines, "Scheduler pass failed (ConnectionError)", loop)
        # and when Redis is back (empty: it kept nothing) and the next job falls due
        private_redis.start()
        _due("analytics.daily")
        # then the loop, still running, enqueues it
        _until(lines, "Enqueued analytics.daily", loop)
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive() and failures == []
    # and the run Redis lost with the restart is known to be lost
    assert ScheduledJob.objects.get(name="retention.daily").last_status == "LOST"
