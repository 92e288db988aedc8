"""What the retention jobs did (C4.6), and when each periodic task is next due.

`RetentionRun` is the run report: one row per rule per run, with the high-water mark (`cursor`)
written after every batch, so a run that stops midway (a crash, a deploy) is picked up by the
next one where it left off (`resumed_from`). `ScheduledJob` is the scheduler's state: one row per
periodic task, locked while a scheduler decides whether it is due, so several schedulers never
enqueue the same slot twice, and what it last saw of each run.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class RetentionRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        INTERRUPTED = "interrupted", "Interrupted (resumed by a later run)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rule = models.CharField(max_length=64, db_index=True)
    retention = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField()
    cursor = models.CharField(max_length=200, blank=True, default="")
    batches = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"retention {self.rule} {self.status} ({self.processed})"


class ScheduledJob(models.Model):
    """One periodic task's schedule and what the scheduler last saw of it (decision 0030):
    `last_status` is the last enqueued run's status as the queue reported it (or LOST when the
    queue no longer knows it), `last_succeeded_at` when a run last finished well, and `retries`
    how often the current slot's run was enqueued again after failing or being lost."""

    name = models.CharField(max_length=64, primary_key=True)
    cron = models.CharField(max_length=64)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_result_id = models.CharField(max_length=64, blank=True, default="")
    last_status = models.CharField(max_length=16, blank=True, default="")
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M}"
