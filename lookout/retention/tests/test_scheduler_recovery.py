"""Tasks that resume (issue 27, finding 5): a task whose worker died is run again, on the
database queue (which never does it itself: the scheduler hands it back) and on RQ (RQ's own
cleanup, with the Retry Lookout's queue class gives every job); a periodic run that failed or
was lost is enqueued again; and the key re-wrap carries on where the dead worker stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.core.scheduler import (
    ATTEMPTS,
    RETRY_AFTER,
    WORKER_LOST,
    Periodic,
    recover_abandoned,
    task_timeout,
    tick,
)
from lookout.retention.models import ScheduledJob
from lookout.testing.parts import missing
from lookout.vault import rotation
from lookout.vault.crypto import new_subject, rewrap
from lookout.vault.models import DataKey
from lookout.vault.tasks import rewrap_data_keys

RETENTION = (Periodic("retention.daily", "17 3 * * *", "lookout.retention.tasks.run_retention"),)
DAY = datetime(2026, 6, 1, tzinfo=UTC)
BEFORE = DAY.replace(hour=2)
DUE = DAY.replace(hour=3, minute=18)
# Redis database 6 is this file's; each test uses a queue of its own and deletes only its keys
# (the SQLite and PostgreSQL passes run side by side).
REDIS_URL = os.environ.get("LOOKOUT_TEST_REDIS_RECOVERY_URL", "redis://127.0.0.1:6379/6")


@pytest.fixture
def task_settings(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
        "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }
    return settings


def _keys_rotated(n: int) -> list[uuid.UUID]:
    """`n` people's data keys, and a new primary master key they are not yet wrapped under."""
    subjects = [new_subject(kind=DataKey.Kind.CUSTOMER) for _ in range(n)]
    rotation.rotate_master_key()
    return sorted(subjects)


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens connections
@pytest.mark.usefixtures("audit_triggers_suspended")  # the flush after the test empties the log
@pytest.mark.commitment("C4.2")
def test_a_rewrap_whose_worker_died_is_handed_back_and_finishes_only_the_rest(task_settings):
    # given a key re-wrap queued after a rotation, claimed by a worker as db_worker does
    subjects = _keys_rotated(8)
    result = rewrap_data_keys.using(backend="db").enqueue()
    row = DBTaskResult.objects.get(id=result.id)
    row.claim("worker-that-died")
    # which re-wrapped three keys and died (its process killed: no error recorded, still RUNNING)
    for key in DataKey.objects.filter(subject__in=subjects[:3]):
        assert rewrap(key)
    started = DBTaskResult.objects.get(id=result.id).started_at
    assert started is not None

    # when the scheduler looks before the task timeout, the task is left to its worker
    assert (
        recover_abandoned(now=started + timedelta(seconds=task_timeout() - 60), backend="db") == 0
    )
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.RUNNING
    # and after it, the task is handed back to the queue, under the same id
    assert recover_abandoned(now=started + timedelta(seconds=task_timeout() + 1), backend="db") == 1
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY

    # then a live worker runs it, and it re-wraps only the five keys the dead one had not
    call_command("db_worker", "--batch", "--backend", "db", "--queue-name", "*", verbosity=0)
    done = DBTaskResult.objects.get(id=result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == 5
    assert done.worker_ids[0] == "worker-that-died" and len(done.worker_ids) == 2
    assert rotation.status().pending == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_a_task_that_kills_every_worker_fails_after_three_claims_and_its_slot_runs_again(
    task_settings,
):
    # given the retention run of a slot, enqueued by the scheduler
    tick(now=BEFORE, periodic=RETENTION, backend="db")
    assert tick(now=DUE, periodic=RETENTION, backend="db") == ["retention.daily"]
    row = DBTaskResult.objects.get()
    # when three workers in turn claim it and die
    for n in range(ATTEMPTS):
        row.claim(f"worker-{n}")
        assert row.started_at is not None
        later = row.started_at + timedelta(seconds=task_timeout() + 1)
        handed_back = recover_abandoned(now=later, backend="db")
        row.refresh_from_db()
        assert handed_back == (1 if n < ATTEMPTS - 1 else 0)
    # then it is failed, as lost by its workers, not handed back forever
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == WORKER_LOST
    # and the scheduler sees the failure and, after a pause, enqueues the slot's run again once
    assert tick(now=DUE + timedelta(minutes=1), periodic=RETENTION, backend="db") == []
    assert ScheduledJob.objects.get().last_status == TaskResultStatus.FAILED
    again = DUE + RETRY_AFTER + timedelta(minutes=1)
    assert tick(now=again, periodic=RETENTION, backend="db") == ["retention.daily"]
    job = ScheduledJob.objects.get()
    assert job.retries == 1 and job.last_result_id != str(row.id)
    assert job.next_run_at == DAY.replace(hour=3, minute=17) + timedelta(days=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
@pytest.mark.commitment("C4.6")
def test_a_periodic_run_the_queue_lost_is_enqueued_again_and_its_success_recorded(task_settings):
    # given the retention run of a slot enqueued
    tick(now=BEFORE, periodic=RETENTION, backend="db")
    assert tick(now=DUE, periodic=RETENTION, backend="db") == ["retention.daily"]
    # when the queue loses it (a Redis restart without persistence; a pruned row)
    DBTaskResult.objects.all().delete()
    # then the scheduler notices, waits a little, and enqueues it again (once)
    assert tick(now=DUE + timedelta(minutes=1), periodic=RETENTION, backend="db") == []
    assert ScheduledJob.objects.get().last_status == "LOST"
    again = DUE + RETRY_AFTER + timedelta(minutes=1)
    assert tick(now=again, periodic=RETENTION, backend="db") == ["retention.daily"]
    assert tick(now=again + timedelta(minutes=1), periodic=RETENTION, backend="db") == []
    # and once a worker ran it, the scheduler records the success and enqueues nothing more
    call_command("db_worker", "--batch", "--backend", "db", "--queue-name", "*", verbosity=0)
    later = again + RETRY_AFTER * 3
    assert tick(now=later, periodic=RETENTION, backend="db") == []
    job = ScheduledJob.objects.get()
    assert job.last_status == TaskResultStatus.SUCCESSFUL
    assert job.last_succeeded_at is not None
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def _redis_or_skip():
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.ping()
    except redis.exceptions.RedisError as exc:
        missing("Redis", f"it does not answer at {REDIS_URL}: {exc}")
    return connection


@pytest.fixture
def rq_queue(task_settings):
    """A queue of this test's own on Redis, configured as production configures its queue."""
    connection = _redis_or_skip()
    name = f"recovery-{uuid.uuid4().hex[:12]}"
    task_settings.TASKS = {
        **task_settings.TASKS,
        "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]},
    }
    task_settings.RQ_QUEUES = {
        "default": {"URL": REDIS_URL},  # the connection django-tasks-rq reads results with
        name: {"URL": REDIS_URL, "QUEUE_CLASS": "lookout.core.taskqueue.RetryingQueue"},
    }
    yield name
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)
    connection.srem("rq:queues", f"rq:queue:{name}")


@pytest.mark.django_db
@pytest.mark.commitment("C4.2")
def test_an_rq_job_whose_worker_died_is_requeued_by_rqs_cleanup_and_finishes(rq_queue):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.job import JobStatus

    from lookout.testing.rq import BurstWorker

    subjects = _keys_rotated(4)
    result = rewrap_data_keys.using(backend="redis", queue_name=rq_queue).enqueue()
    queue = django_rq.get_queue(rq_queue, job_class=Job)
    # given a worker took the job and started it (RQ's own steps), re-wrapped one key, and died
    worker = BurstWorker([queue], connection=queue.connection, job_class=Job)
    taken = worker.dequeue_job_and_maintain_ttl(timeout=1)
    assert taken is not None
    job = taken[0]
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    assert rewrap(DataKey.objects.get(subject=subjects[0]))
    assert job.get_status() == JobStatus.STARTED
    try:
        # when the scheduler's pass runs after the dead worker's heartbeat expired
        assert recover_abandoned(now=timezone.now() + timedelta(minutes=5), backend="redis") == 1
        # then RQ put the job back on the queue, with one retry used
        job = Job.fetch(result.id, connection=queue.connection)
        assert job.get_status() == JobStatus.QUEUED
        assert job.retries_left == 2
        # and a live worker finishes it: only the three keys left are re-wrapped
        BurstWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
        done = rewrap_data_keys.using(backend="redis", queue_name=rq_queue).get_result(result.id)
        assert done.status == TaskResultStatus.SUCCESSFUL
        assert done.return_value == 3
        assert rotation.status().pending == 0
    finally:
        for key in queue.connection.scan_iter(f"rq:*{result.id}*"):
            queue.connection.delete(key)
        queue.connection.delete(f"rq:worker:{worker.name}")


@pytest.mark.django_db
@pytest.mark.commitment("C4.2")
def test_an_rq_job_taken_by_a_worker_that_died_before_starting_it_is_queued_again(rq_queue):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.job import JobStatus

    from lookout.testing.rq import BurstWorker

    _keys_rotated(3)
    result = rewrap_data_keys.using(backend="redis", queue_name=rq_queue).enqueue()
    queue = django_rq.get_queue(rq_queue, job_class=Job)
    # given a worker took the job off the queue (RQ's own step) and died before starting it
    worker = BurstWorker([queue], connection=queue.connection, job_class=Job)
    assert worker.dequeue_job_and_maintain_ttl(timeout=1) is not None
    assert result.id in queue.intermediate_queue.get_job_ids()
    assert queue.count == 0 and result.id not in queue.started_job_registry
    now = timezone.now()
    try:
        # when the scheduler's passes see it there, then the first leaves it (a live worker may
        # be starting it), and one 30 s later queues it again with one retry used
        assert recover_abandoned(now=now, backend="redis") == 0
        assert recover_abandoned(now=now + timedelta(seconds=30), backend="redis") == 1
        job = Job.fetch(result.id, connection=queue.connection)
        assert job.get_status() == JobStatus.QUEUED and job.retries_left == 2
        assert result.id not in queue.intermediate_queue.get_job_ids()
        # and a live worker finishes it: every key is re-wrapped
        BurstWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
        done = rewrap_data_keys.using(backend="redis", queue_name=rq_queue).get_result(result.id)
        assert done.status == TaskResultStatus.SUCCESSFUL
        assert rotation.status().pending == 0
    finally:
        for key in queue.connection.scan_iter(f"*{result.id}*"):
            queue.connection.delete(key)
        queue.connection.delete(f"rq:worker:{worker.name}")


# A running RQ worker in a process of its own, as `lookout worker` runs it: registered, holding
# a started job, and titled by RQ's own `procline` (what setproctitle shows in /proc/PID/cmdline
# from the moment a real worker listens).
LIVE_WORKER = """
import sys, time
import redis
from rq import Queue, Worker
url, queue_name, worker_name = sys.argv[1:4]
connection = redis.Redis.from_url(url)
queue = Queue(queue_name, connection=connection)
worker = Worker([queue], connection=connection, name=worker_name)
worker.register_birth()
job, _ = worker.dequeue_job_and_maintain_ttl(timeout=5)
worker.prepare_execution(job)
worker.prepare_job_execution(job)
worker.procline("Processing " + job.id)
print("running", job.id, flush=True)
time.sleep(120)
"""


@pytest.mark.django_db
@pytest.mark.commitment("C4.2")
def test_a_live_rq_worker_is_neither_taken_for_dead_nor_its_running_job_queued_again(rq_queue):
    """Found by the fault run: every running worker looked dead to the scheduler (its process
    title is RQ's, not its command line), so each pass unregistered it and queued its job again;
    when it really died, nobody knew it had been there and its job was lost."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import Worker
    from rq.job import JobStatus

    _keys_rotated(2)
    result = rewrap_data_keys.using(backend="redis", queue_name=rq_queue).enqueue()
    queue = django_rq.get_queue(rq_queue, job_class=Job)
    name = f"live-{uuid.uuid4().hex[:8]}"
    child = subprocess.Popen(
        [sys.executable, "-c", LIVE_WORKER, REDIS_URL, rq_queue, name],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        assert child.stdout.readline().split() == ["running", result.id]
        # given a live worker of this machine running the job
        assert name in {w.name for w in Worker.all(queue=queue)}
        # when the scheduler's pass runs
        assert recover_abandoned(now=timezone.now(), backend="redis") == 0
        # then the worker is still registered and its job still runs, once
        assert name in {w.name for w in Worker.all(queue=queue)}
        job = Job.fetch(result.id, connection=queue.connection)
        assert job.get_status() == JobStatus.STARTED
        assert queue.count == 0 and job.retries_left == 3
        # and once the worker is killed, the next pass hands its job back
        child.kill()
        child.wait(10)
        assert recover_abandoned(now=timezone.now(), backend="redis") == 1
        job = Job.fetch(result.id, connection=queue.connection)
        assert job.get_status() == JobStatus.QUEUED and job.retries_left == 2
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        for key in queue.connection.scan_iter(f"*{result.id}*"):
            queue.connection.delete(key)
        queue.connection.delete(f"rq:worker:{name}")
