"""The periodic-task scheduler: enqueues due periodic tasks on the Django Tasks backend, sees them
finish, and puts back work a dead worker or a lost queue dropped.

Django Tasks has no scheduler, and the maintained add-on (django-crontask) guards against two
schedulers only with a Redis lock, while Lookout's embedded default has no Redis. So this is a
small one: each periodic task has a row (`LOOKOUT_SCHEDULER_STATE_MODEL`) holding its next due time.
`tick()` locks that row (SELECT ... FOR UPDATE; on SQLite every write transaction takes the
database lock up front), enqueues the task if due, and moves the due time to the next slot of
its cron expression (croniter), in one transaction. Two schedulers running `tick()` at the same
moment are serialised on the row: the second sees the new due time and enqueues nothing.

Missed slots (the scheduler was down) are not replayed one by one: a task that was due runs
once, then follows its schedule. The tasks are written to be safe to run again, which is what
lets the scheduler retry rather than guess (decision 0030):

- each pass looks at the last enqueued run of each job: a success is recorded
  (`last_succeeded_at`); a run that failed, or that the queue no longer knows (a Redis restart
  without persistence), is enqueued again after `RETRY_AFTER`, at most `RETRIES` times a slot;
- `recover_abandoned()` hands back tasks whose worker died mid-run: on the database queue
  (which never does it itself) a task RUNNING for longer than `LOOKOUT_TASK_TIMEOUT` is made
  READY again, up to `ATTEMPTS` claims; on RQ, RQ's own started-job registry cleanup re-queues
  the job (its Retry comes from `lookout.core.taskqueue`);
- `run_forever()` survives the database or Redis going away: it closes the broken connections
  and tries again with a capped backoff instead of exiting;
- `job_states()` says, for /healthz and the self-audit, when each job last ran and whether it is
  overdue.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from croniter import croniter
from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.tasks import TaskResultStatus, task_backends
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A task (dotted path to a `django.tasks` task taking no arguments) and when it runs."""

    name: str
    cron: str  # crontab syntax, in UTC
    task: str


def periodic_jobs() -> tuple[Periodic, ...]:
    """Every app's periodic tasks: an app that has some lists them in `<app>/schedule.py` as
    `PERIODIC = [...]`, the way it declares its fields in `personal_data.py`. The scheduler knows
    no app by name (import direction: core imports no app)."""
    global _periodic
    if _periodic is None:
        found: dict[str, Periodic] = {}
        for config in apps.get_app_configs():
            module_name = f"{config.name}.schedule"
            if importlib.util.find_spec(module_name) is None:
                continue
            for item in getattr(importlib.import_module(module_name), "PERIODIC", ()):
                if item.name in found:
                    raise ValueError(f"Periodic task {item.name!r} is registered twice.")
                found[item.name] = item
        _periodic = tuple(found[name] for name in sorted(found))
    return _periodic


_periodic: tuple[Periodic, ...] | None = None

# What the scheduler last saw of a job's last enqueued run (ScheduledJob.last_status).
LOST = "LOST"  # the queue no longer knows the result: never run, or its record was dropped
SEEN_TO_THE_END = {str(TaskResultStatus.SUCCESSFUL), LOST}  # no need to ask the queue again
RETRY_AFTER = timedelta(minutes=5)  # a failed or lost run is enqueued again after this
RETRIES = 3  # extra runs per slot after a failure, before waiting for the next slot
ATTEMPTS = 3  # claims of one database task by workers that died, before it is marked failed
LATE_AFTER = timedelta(minutes=10)  # a due time this far in the past: no scheduler is running
SUCCESS_GRACE = timedelta(hours=2)  # how long after its slot a run may take to succeed
WORKER_LOST = "lookout.core.scheduler.WorkerLost"
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0


def next_after(cron: str, moment: datetime) -> datetime:
    """The first slot of `cron` strictly after `moment` (aware, UTC)."""
    result: datetime = croniter(cron, moment).get_next(datetime)
    return result


def resolve(path: str) -> Any | None:
    """The task object at `path`, or None when its app does not provide it (yet)."""
    module_name, _, attr = path.rpartition(".")
    try:
        return getattr(import_module(module_name), attr)
    except (ImportError, AttributeError):
        return None


_warned: set[str] = set()  # missing tasks are reported once per process, not every pass


def _model() -> Any:
    # Which model holds the jobs' state is a setting, as Django's AUTH_USER_MODEL is: core
    # names no app, and resolves it only when it is used.
    return apps.get_model(settings.LOOKOUT_SCHEDULER_STATE_MODEL)


def task_timeout() -> int:
    """Seconds a task may run (RQ kills it after that; the database queue deems it abandoned)."""
    return int(getattr(settings, "LOOKOUT_TASK_TIMEOUT", 1800))


def _does_not_exist() -> tuple[type[Exception], ...]:
    """The "no such result" errors: Django's, and the django-tasks backport's, which
    django-tasks-rq raises (a class of its own, not a subclass of Django's)."""
    try:
        from django_tasks.exceptions import TaskResultDoesNotExist as BackportDoesNotExist
    except ImportError:
        return (TaskResultDoesNotExist,)
    return (TaskResultDoesNotExist, BackportDoesNotExist)


def _observe(job: Any, backend: str) -> None:
    """Ask the queue how the job's last enqueued run went, and write it on the row."""
    if not job.last_result_id or job.last_status in SEEN_TO_THE_END:
        return
    queue = task_backends[backend]
    if not queue.supports_get_result:
        return
    try:
        result = queue.get_result(job.last_result_id)
    except _does_not_exist():
        job.last_status = LOST
        return
    job.last_status = str(result.status)
    if result.status == TaskResultStatus.SUCCESSFUL:
        job.last_succeeded_at = result.finished_at or timezone.now()


STATE_FIELDS = (
    "last_enqueued_at",
    "last_result_id",
    "last_status",
    "last_succeeded_at",
    "next_run_at",
    "retries",
)


def _state(job: Any) -> tuple[Any, ...]:
    return tuple(getattr(job, field) for field in STATE_FIELDS)


def tick(
    *,
    now: datetime | None = None,
    periodic: tuple[Periodic, ...] | None = None,
    backend: str = "default",
) -> list[str]:
    """Enqueue every periodic task that is due at `now`, or whose last run failed or was lost
    (see the module's docstring); returns the names enqueued."""
    now = now or timezone.now()
    periodic = periodic if periodic is not None else periodic_jobs()
    job_model = _model()
    enqueued = []
    for item in periodic:
        task = resolve(item.task)
        if task is None:
            if item.name in _warned:
                continue
            _warned.add(item.name)
            logger.warning("Periodic task %s: %s is not available; skipped.", item.name, item.task)
            continue
        # The first sight of a task schedules it; nothing runs on the spot.
        job_model.objects.get_or_create(
            name=item.name,
            defaults={
                "cron": item.cron,
                "next_run_at": next_after(item.cron, now),
                "created_at": now,
            },
        )
        with transaction.atomic():
            job = job_model.objects.select_for_update().get(name=item.name)
            if job.cron != item.cron:  # the schedule changed in the code
                job.cron, job.next_run_at = item.cron, next_after(item.cron, now)
                job.save(update_fields=["cron", "next_run_at"])
                continue
            seen = _state(job)
            _observe(job, backend)
            due = job.next_run_at <= now
            again = (
                not due
                and job.last_status in (str(TaskResultStatus.FAILED), LOST)
                and job.retries < RETRIES
                and job.last_enqueued_at is not None
                and now - job.last_enqueued_at >= RETRY_AFTER
            )
            if due or again:
                result = task.using(backend=backend).enqueue()
                job.last_enqueued_at = now
                job.last_result_id = str(result.id)
                job.last_status = str(result.status)
                if result.status == TaskResultStatus.SUCCESSFUL:  # a backend that runs inline
                    job.last_succeeded_at = result.finished_at or now
                if due:
                    job.next_run_at, job.retries = next_after(item.cron, now), 0
                else:
                    job.retries += 1
            if _state(job) != seen:  # most passes change nothing: no write
                job.save(update_fields=list(STATE_FIELDS))
        if due or again:
            logger.info("Enqueued periodic task %s%s.", item.name, "" if due else " again")
            enqueued.append(item.name)
    return enqueued


def recover_abandoned(*, now: datetime | None = None, backend: str = "default") -> int:
    """Hand back tasks whose worker died mid-run; returns how many were re-queued.

    Database queue: django-tasks-db marks a task RUNNING when a worker claims it and nothing
    ever looks at it again if that worker dies. A worker has no heartbeat there, so "gone" is
    "RUNNING for longer than `LOOKOUT_TASK_TIMEOUT`": such a task goes back to READY (same id),
    and is marked FAILED (`WorkerLost`) once `ATTEMPTS` workers claimed it, so a task that kills
    its worker every time is not retried forever. Rows are locked with SKIP LOCKED, so several
    schedulers never hand back the same task twice.

    RQ: the worker heartbeat keeps a running job's entry in the started-job registry alive; RQ's
    own cleanup finds the expired entries of dead workers and re-queues each job that has
    retries left (RQ workers run it only every 10 minutes, the scheduler on every pass).
    """
    now = now or timezone.now()
    queue = task_backends[backend]
    path = f"{type(queue).__module__}.{type(queue).__qualname__}"
    if path.startswith("django_tasks_db."):
        return _recover_database_tasks(now=now, backend=backend)
    if path.startswith("django_tasks_rq."):
        return _recover_rq_jobs(now=now, queue_names=sorted(queue.queues))
    return 0


def _recover_database_tasks(*, now: datetime, backend: str) -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = now - timedelta(seconds=task_timeout())
    abandoned = DBTaskResult.objects.filter(
        backend_name=backend, status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    )
    if not abandoned.exists():  # the usual case: a read, no write transaction
        return 0
    handed_back = 0
    with transaction.atomic(using=DBTaskResult.objects.db):
        stale = abandoned.select_for_update(skip_locked=True).order_by("started_at")[:100]
        for row in stale:
            if len(row.worker_ids) >= ATTEMPTS:
                row.status = TaskResultStatus.FAILED
                row.finished_at = now
                row.exception_class_path = WORKER_LOST
                row.traceback = f"{len(row.worker_ids)} workers claimed it and did not finish it."
                row.save(
                    update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                )
                logger.error(
                    "Task %s (%s) abandoned %d times; failed.",
                    row.id,
                    row.task_path,
                    len(row.worker_ids),
                )
                continue
            row.status, row.started_at = TaskResultStatus.READY, None
            row.save(update_fields=["status", "started_at"])
            logger.warning(
                "Task %s (%s) was abandoned by its worker; queued again.", row.id, row.task_path
            )
            handed_back += 1
    return handed_back


def _recover_rq_jobs(*, now: datetime, queue_names: list[str]) -> int:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.registry import StartedJobRegistry

    requeued = _reclaim_from_dead_local_workers(queue_names)
    requeued += _reclaim_taken_but_never_started(queue_names, now=now)
    for name in queue_names:
        queue = django_rq.get_queue(name, job_class=Job)
        registry = StartedJobRegistry(queue=queue, job_class=Job)  # the callbacks need it
        expired = registry.get_expired_job_ids(now.timestamp())
        if expired:
            registry.cleanup(now.timestamp())
            requeued += len(expired)
            logger.warning(
                "%d job(s) of queue %s were abandoned by their worker.", len(expired), name
            )
    return requeued


def _process_alive(pid: int, worker_name: str) -> bool:
    """Whether `pid` is the RQ worker `worker_name` of this machine (a pid reused by another
    program counts as gone).

    An RQ worker names itself once it runs: RQ's `procline` sets its process title to
    `rq:worker:<name>: …` (setproctitle rewrites /proc/PID/cmdline), and before that its command
    line is the `rqworker` command's. Reading only the command line judged every running worker
    dead: each scheduler pass unregistered live workers and queued their running jobs again, and
    a worker it had unregistered was then invisible when it really died (the fault run lost a
    key re-wrap that way)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            seen = cmdline.read()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): ask the kernel whether the pid exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return seen.startswith(f"rq:worker:{worker_name}:".encode()) or b"rqworker" in seen


def _reclaim_from_dead_local_workers(queue_names: list[str]) -> int:
    """Jobs left running by an RQ worker of this machine whose process is gone (killed with its
    unit, which the service manager has started again), handed back now instead of when RQ's
    own heartbeat expiry notices (up to 90 s, plus the next cleanup).

    Only workers registered from this host are judged, and only by their process: a worker on
    another machine, or one still alive here, is left to RQ. A job with retries left is
    re-queued (RQ's `Job.retry`, as RQ's cleanup does); the dead worker is unregistered."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import Worker
    from rq.job import JobStatus

    host = socket.gethostname()
    reclaimed = 0
    for name in queue_names:
        queue = django_rq.get_queue(name, job_class=Job)
        for worker in Worker.all(queue=queue):
            if (
                worker.hostname != host
                or worker.pid is None
                or _process_alive(worker.pid, worker.name)
            ):
                continue
            job = worker.get_current_job()
            worker.register_death()
            if job is None or job.get_status(refresh=True) != JobStatus.STARTED:
                continue
            if not (job.retries_left and job.retries_left > 0):
                continue  # RQ's own cleanup moves it to the failed registry
            with queue.connection.pipeline() as pipeline:
                job.retry(queue, pipeline)
                pipeline.execute()
            reclaimed += 1
            logger.warning(
                "Job %s of queue %s was left by worker %s (pid %s, gone); queued again.",
                job.id, name, worker.name, worker.pid,
            )  # fmt: skip
    return reclaimed


STUCK_AFTER = timedelta(seconds=20)  # RQ prepares a job within milliseconds of taking it


def _reclaim_taken_but_never_started(queue_names: list[str], *, now: datetime) -> int:
    """Jobs a worker took off the queue and died holding before it started them.

    RQ moves a job it takes into the queue's intermediate list and from there into the
    started-job registry as it begins; a worker killed between the two leaves the job in neither
    the queue nor the registry, so neither the dead-worker check above nor the registry's expiry
    sees it, and RQ's own clean-up looks only at a worker's maintenance (every 10 minutes;
    found by the fault test). Seen there on two passes `STUCK_AFTER` apart and still not
    started, the job is queued again with one of its retries."""
    import django_rq
    from django_tasks_rq.backend import Job

    reclaimed = 0
    for name in queue_names:
        queue = django_rq.get_queue(name, job_class=Job)
        connection, intermediate = queue.connection, queue.intermediate_queue
        for job_id in intermediate.get_job_ids():
            if job_id in queue.started_job_registry:
                continue
            seen_key = f"lookout:taken-not-started:{name}:{job_id}"
            if connection.set(seen_key, now.timestamp(), nx=True, ex=3600):
                continue  # first seen now: a live worker may be starting it this instant
            if now.timestamp() - float(connection.get(seen_key) or now.timestamp()) < (
                STUCK_AFTER.total_seconds()
            ):
                continue
            job = queue.fetch_job(job_id)
            intermediate.remove(job_id)
            connection.delete(seen_key)
            if job is None:
                continue
            with connection.pipeline() as pipeline:
                if job.retries_left:
                    job.retry(queue, pipeline)
                else:
                    queue.enqueue_job(job, pipeline=pipeline)
                pipeline.execute()
            reclaimed += 1
            logger.warning(
                "Job %s of queue %s was taken by a worker that never started it; queued again.",
                job_id, name,
            )  # fmt: skip
    return reclaimed


def seconds_until_next(
    *, now: datetime | None = None, periodic: tuple[Periodic, ...] | None = None, cap: float = 60.0
) -> float:
    """How long the scheduler may sleep: until the earliest due time, 1 to `cap` seconds."""
    now = now or timezone.now()
    periodic = periodic if periodic is not None else periodic_jobs()
    due = _model().objects.filter(name__in=[p.name for p in periodic]).order_by("next_run_at")
    first = due.values_list("next_run_at", flat=True).first()
    if first is None:
        return cap
    return max(1.0, min(cap, (first - now).total_seconds()))


def one_pass(*, backend: str = "default", max_sleep: float = 60.0) -> tuple[list[str], float]:
    """Hand back abandoned tasks, enqueue what is due; the names enqueued and the pause."""
    recover_abandoned(backend=backend)
    return tick(backend=backend), seconds_until_next(cap=max_sleep)


def _connection_error(exc: BaseException) -> bool:
    from django.db import Error as DatabaseError

    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is installed with django-rq
        return isinstance(exc, DatabaseError | OSError)
    return isinstance(exc, DatabaseError | OSError | RedisConnectionError | RedisTimeoutError)


def _drop_connections() -> None:
    """Close every database connection of this thread: after a server restart they are dead,
    and Django would hand the dead one out again (it only checks at a request's edges)."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # a broken connection may fail to close; it is dropped anyway
            connection.connection = None


def run_forever(
    *,
    stop: threading.Event,
    backend: str = "default",
    max_sleep: float = 60.0,
    say: Callable[[str], None] = lambda line: None,
    first_backoff: float = FIRST_BACKOFF,
    max_backoff: float = MAX_BACKOFF,
) -> None:
    """Run passes until `stop` is set. A pass that fails (the database restarting, Redis gone)
    does not end the loop: the connections are closed, and the next pass comes after a backoff
    (1 s, doubling, at most 30 s), back to the normal pace once a pass succeeds. A scheduler that
    died on a 3-second database restart left retention, roll-ups and the self-audit unrun."""
    backoff = first_backoff
    while not stop.is_set():
        try:
            names, pause = one_pass(backend=backend, max_sleep=max_sleep)
        except Exception as exc:
            _drop_connections()
            if _connection_error(exc):
                logger.warning(
                    "Scheduler pass failed (%s); retrying in %.0f s.", type(exc).__name__, backoff
                )
            else:
                logger.exception("Scheduler pass failed; retrying in %.0f s.", backoff)
            say(f"Scheduler pass failed ({type(exc).__name__}); retrying in {backoff:.0f} s")
            pause, backoff = backoff, min(backoff * 2, max_backoff)
        else:
            backoff = first_backoff
            for name in names:
                say(f"Enqueued {name}")
        if stop.wait(pause):
            break


@dataclass(frozen=True)
class JobState:
    """When a periodic job last ran, as /healthz and the self-audit show it."""

    name: str
    cron: str
    next_run_at: datetime | None
    last_enqueued_at: datetime | None
    last_succeeded_at: datetime | None
    last_status: str
    overdue: bool
    why: str

    def as_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "cron": self.cron,
            "next_run_at": iso(self.next_run_at),
            "last_enqueued_at": iso(self.last_enqueued_at),
            "last_succeeded_at": iso(self.last_succeeded_at),
            "last_status": self.last_status,
            "overdue": self.overdue,
            "why": self.why,
        }


def _overdue(job: Any, now: datetime) -> str:
    """Why `job` is overdue at `now`, or "" when it is not."""
    if job.next_run_at < now - LATE_AFTER:
        due = f"{job.next_run_at:%Y-%m-%d %H:%M}"
        return f"due since {due} UTC and not enqueued: is a scheduler running?"
    # The first slot after the last success (or after a scheduler first saw the job), and the
    # grace a run of that slot has to succeed: 2 hours, or ten intervals for a job that runs
    # more often (an every-minute job failing for two hours would be noticed far too late),
    # never less than LATE_AFTER.
    missed = next_after(job.cron, job.last_succeeded_at or job.created_at)
    interval = next_after(job.cron, missed) - missed
    grace = max(LATE_AFTER, min(SUCCESS_GRACE, 10 * interval))
    if missed + grace < now:
        return f"no successful run since its {missed:%Y-%m-%d %H:%M} UTC slot"
    return ""


def job_states(
    *, now: datetime | None = None, periodic: tuple[Periodic, ...] | None = None
) -> list[JobState]:
    """Each periodic job's last runs and whether it is overdue: its due time is more than
    `LATE_AFTER` past (no scheduler enqueued it), or a slot came after its last success and no
    run succeeded within the grace after it (`SUCCESS_GRACE`, or ten intervals for a frequent
    job): it was enqueued, but lost or failing. One query."""
    now = now or timezone.now()
    periodic = periodic if periodic is not None else periodic_jobs()
    rows = {job.name: job for job in _model().objects.filter(name__in=[p.name for p in periodic])}
    states = []
    for item in periodic:
        job = rows.get(item.name)
        if job is None:
            states.append(
                JobState(item.name, item.cron, None, None, None, "", False, "never scheduled")
            )
            continue
        why = _overdue(job, now)
        states.append(
            JobState(
                item.name,
                job.cron,
                job.next_run_at,
                job.last_enqueued_at,
                job.last_succeeded_at,
                job.last_status,
                bool(why),
                why,
            )
        )
    return states
