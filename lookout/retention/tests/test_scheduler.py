"""The scheduler enqueues each due periodic task once, on the database backend and on Redis
(django-tasks-rq); the worker runs it (C4.6: retention runs without anyone starting it)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.tasks import TaskResultStatus, task_backends
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.cart.models import Cart
from lookout.cart.services import open_cart
from lookout.core.scheduler import Periodic, tick
from lookout.retention.models import RetentionRun, ScheduledJob
from lookout.testing.parts import missing, redis_test_url

RETENTION = (Periodic("retention.daily", "17 3 * * *", "lookout.retention.tasks.run_retention"),)
DAY = datetime(2026, 6, 1, tzinfo=UTC)
BEFORE = DAY.replace(hour=2)  # the scheduler first sees the task at 02:00
DUE = DAY.replace(hour=3, minute=18)  # one minute after its 03:17 slot
REDIS_URL = redis_test_url()


@pytest.fixture
def task_settings(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
        "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
        "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    }
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    return settings


def _stale_cart() -> int:
    with freeze_time(DAY - timedelta(days=60)):
        return open_cart()[0].pk


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens connections
@pytest.mark.usefixtures("audit_triggers_suspended")
@pytest.mark.commitment("C4.6")
def test_database_backend_enqueues_once_when_due_and_the_worker_runs_retention(task_settings):
    cart = _stale_cart()
    # given the scheduler sees the retention task for the first time, before its slot
    assert tick(now=BEFORE, periodic=RETENTION, backend="db") == []
    assert ScheduledJob.objects.get().next_run_at == DAY.replace(hour=3, minute=17)
    # when it ticks just before the slot, nothing is enqueued
    assert tick(now=DUE - timedelta(minutes=2), periodic=RETENTION, backend="db") == []
    # and after the slot, exactly one run is enqueued, however often it ticks
    assert tick(now=DUE, periodic=RETENTION, backend="db") == ["retention.daily"]
    assert tick(now=DUE, periodic=RETENTION, backend="db") == []
    assert tick(now=DUE + timedelta(minutes=5), periodic=RETENTION, backend="db") == []
    assert DBTaskResult.objects.count() == 1
    assert ScheduledJob.objects.get().next_run_at == DAY.replace(hour=3, minute=17) + timedelta(
        days=1
    )
    # when the database worker runs what is queued
    with freeze_time(DUE):
        call_command("db_worker", "--batch", "--backend", "db", "--queue-name", "*", verbosity=0)
    # then retention ran: the stale cart is gone and a run report exists
    result = DBTaskResult.objects.get()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert not Cart.objects.filter(pk=cart).exists()
    assert RetentionRun.objects.filter(rule="cart.stale_carts", processed=1).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("C4.6")
def test_two_schedulers_ticking_at_once_enqueue_one_run(task_settings):
    # given the task is known and due
    tick(now=BEFORE, periodic=RETENTION, backend="db")
    start = threading.Barrier(4)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait()
            results.append(tick(now=DUE, periodic=RETENTION, backend="db"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when four schedulers tick at the same moment
    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly one enqueued the run
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert DBTaskResult.objects.count() == 1


def _redis_or_skip():
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.ping()
    except redis.exceptions.RedisError as exc:
        missing("Redis", f"it does not answer at {REDIS_URL}: {exc}")
    return connection


@pytest.mark.django_db
@pytest.mark.commitment("C4.6")
def test_redis_backend_enqueues_once_and_an_rq_worker_runs_retention(task_settings):
    from django_tasks_rq.backend import Job
    from rq import Queue

    from lookout.testing.rq import BurstWorker

    connection = _redis_or_skip()
    connection.flushdb()
    cart = _stale_cart()
    # given the scheduler knows the task; when it ticks past the slot, twice
    tick(now=BEFORE, periodic=RETENTION, backend="redis")
    assert tick(now=DUE, periodic=RETENTION, backend="redis") == ["retention.daily"]
    assert tick(now=DUE, periodic=RETENTION, backend="redis") == []
    # then one job waits on the Redis queue
    queue = Queue("default", connection=connection, job_class=Job)
    assert queue.count == 1
    # when an RQ worker works the queue in burst mode
    BurstWorker([queue], connection=connection, job_class=Job).work(burst=True)
    # then retention ran through RQ, and the task result says so
    result_id = ScheduledJob.objects.get().last_result_id
    assert task_backends["redis"].get_result(result_id).status == TaskResultStatus.SUCCESSFUL
    assert not Cart.objects.filter(pk=cart).exists()
    assert RetentionRun.objects.filter(rule="cart.stale_carts", processed=1).exists()
    connection.flushdb()


@pytest.mark.django_db
def test_a_periodic_task_that_no_app_provides_is_skipped_not_fatal(task_settings):
    missing = (Periodic("nothing.daily", "0 1 * * *", "lookout.nothing.tasks.nope"),)
    assert tick(now=DUE, periodic=missing, backend="db") == []
    assert not ScheduledJob.objects.exists()


@pytest.mark.django_db
def test_scheduler_command_runs_one_pass_and_refuses_an_unknown_backend(task_settings):
    from io import StringIO

    from django.core.management.base import CommandError

    out = StringIO()
    call_command("scheduler", "--once", "--backend", "db", stdout=out)
    assert "Scheduler stopped." in out.getvalue()
    assert ScheduledJob.objects.filter(name="retention.daily").exists()
    with pytest.raises(CommandError, match="No task backend is named 'nope'"):
        call_command("scheduler", "--once", "--backend", "nope")
