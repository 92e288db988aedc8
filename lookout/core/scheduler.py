"""The periodic-task scheduler: enqueues due periodic tasks on the Django Tasks backend.

Django Tasks has no scheduler, and the maintained add-on (django-crontask) guards against two
schedulers only with a Redis lock, while Lookout's embedded default has no Redis. So this is a
small one: each periodic task has a row (`retention.ScheduledJob`) holding its next due time.
`tick()` locks that row (SELECT ... FOR UPDATE; on SQLite every write transaction takes the
database lock up front), enqueues the task if due, and moves the due time to the next slot of
its cron expression (croniter), in one transaction. Two schedulers running `tick()` at the same
moment are serialised on the row: the second sees the new due time and enqueues nothing.

Missed slots (the scheduler was down) are not replayed one by one: a task that was due runs
once, then follows its schedule. The tasks are written to be safe to run again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

from croniter import croniter
from django.apps import apps
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    """A task (dotted path to a `django.tasks` task taking no arguments) and when it runs."""

    name: str
    cron: str  # crontab syntax, in UTC
    task: str


PERIODIC: tuple[Periodic, ...] = (
    Periodic("retention.daily", "17 3 * * *", "lookout.retention.tasks.run_retention"),
    Periodic("analytics.daily", "5 0 * * *", "lookout.analytics.tasks.daily_analytics"),
    Periodic("compliance.self_audit", "41 4 * * *", "lookout.compliance.tasks.run_self_audit_task"),
)


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
    # The state row lives in the retention app; resolved lazily so core imports no app.
    return apps.get_model("retention", "ScheduledJob")


def tick(
    *,
    now: datetime | None = None,
    periodic: tuple[Periodic, ...] = PERIODIC,
    backend: str = "default",
) -> list[str]:
    """Enqueue every periodic task that is due at `now`; returns the names enqueued."""
    now = now or timezone.now()
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
            name=item.name, defaults={"cron": item.cron, "next_run_at": next_after(item.cron, now)}
        )
        with transaction.atomic():
            job = job_model.objects.select_for_update().get(name=item.name)
            if job.cron != item.cron:  # the schedule changed in the code
                job.cron, job.next_run_at = item.cron, next_after(item.cron, now)
                job.save(update_fields=["cron", "next_run_at"])
                continue
            if job.next_run_at > now:
                continue
            result = task.using(backend=backend).enqueue()
            job.last_enqueued_at = now
            job.last_result_id = str(result.id)
            job.next_run_at = next_after(item.cron, now)
            job.save(update_fields=["last_enqueued_at", "last_result_id", "next_run_at"])
        logger.info("Enqueued periodic task %s.", item.name)
        enqueued.append(item.name)
    return enqueued


def seconds_until_next(
    *, now: datetime | None = None, periodic: tuple[Periodic, ...] = PERIODIC, cap: float = 60.0
) -> float:
    """How long the scheduler may sleep: until the earliest due time, 1 to `cap` seconds."""
    now = now or timezone.now()
    due = _model().objects.filter(name__in=[p.name for p in periodic]).order_by("next_run_at")
    first = due.values_list("next_run_at", flat=True).first()
    if first is None:
        return cap
    return max(1.0, min(cap, (first - now).total_seconds()))
