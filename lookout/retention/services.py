"""Running the retention rules (C4.6): plan, run in batches, resume, report.

A run of a rule commits after every batch, writing the batch's last key as the run's `cursor`.
If the run stops midway, it stays `running`; the next run of that rule starts from that cursor,
marks the old run `interrupted` and names it in `resumed_from`. Every finished run writes one
audit entry (what, how many, when).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lookout.retention.models import RetentionRun
from lookout.retention.registry import Rule, rules

# Rows per committed batch. Each batch is a handful of set-based statements and a commit; with
# 500 rows the per-batch cost (commit, statement planning) was most of the run. 5,000 keeps each
# transaction around a tenth of a second on SQLite, so the write lock is never held for long.
DEFAULT_BATCH = 5000
logger = logging.getLogger(__name__)

Progress = Callable[[Rule, RetentionRun], None]


@dataclass(frozen=True)
class PlanLine:
    rule: str
    retention: str
    cutoff: datetime
    due: int
    does: str


def plan(*, now: datetime | None = None) -> list[PlanLine]:
    """What the next run would do, rule by rule; changes nothing."""
    now = now or timezone.now()
    return [
        PlanLine(
            rule=rule.name,
            retention=str(rule.retention),
            cutoff=rule.cutoff(now),
            due=rule.count(rule.cutoff(now)),
            does=rule.does,
        )
        for rule in rules()
    ]


def _start(*, rule: Rule, cutoff: datetime) -> RetentionRun:
    with transaction.atomic():
        previous = (
            RetentionRun.objects.select_for_update()
            .filter(rule=rule.name, status=RetentionRun.Status.RUNNING)
            .order_by("-started_at")
            .first()
        )
        if previous is not None:
            RetentionRun.objects.filter(pk=previous.pk).update(
                status=RetentionRun.Status.INTERRUPTED
            )
        return RetentionRun.objects.create(
            rule=rule.name,
            retention=rule.retention.name,
            cutoff=cutoff,
            cursor=previous.cursor if previous else "",
            resumed_from=previous,
        )


def run_rule(
    *,
    rule: Rule,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> RetentionRun:
    """Apply one rule to everything past its period, batch by batch; returns the run report."""
    from lookout.audit.services import record

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    now = now or timezone.now()
    run = _start(rule=rule, cutoff=rule.cutoff(now))
    # A resumed run ends with one pass from the start: whatever the interrupted run's cursor
    # may have skipped (keys renumbered in between, e.g. SQLite rowids after a VACUUM) is done
    # before the run reports done. The pass finds only rows still due, so it is cheap.
    from_start = run.resumed_from_id is not None and run.cursor != ""
    with rule.around():
        while True:
            # The batch is picked and applied in one transaction, so `apply` may trust its keys.
            with transaction.atomic():
                keys = rule.batch(run.cutoff, run.cursor, batch_size)
                if keys:
                    changed = rule.apply(keys, now)
                    run.cursor = str(keys[-1])
                    run.processed += changed
                    run.batches += 1
                    run.save(update_fields=["cursor", "processed", "batches"])
            if not keys:
                if not from_start:
                    break
                from_start, run.cursor = False, ""
                continue
            if progress is not None:
                progress(rule, run)
    with transaction.atomic():
        run.status = RetentionRun.Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        record(
            actor=None,
            action="retention.run",
            target=run,
            detail={
                "rule": rule.name,
                "retention": rule.retention.name,
                "processed": run.processed,
                "batches": run.batches,
                "resumed": run.resumed_from_id is not None,
            },
        )
    return run


def run_all(
    *,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    only: str | None = None,
    progress: Progress | None = None,
) -> list[RetentionRun]:
    """Run every rule (or the one named `only`). A rule that fails does not keep the others
    from running; its committed batches stay done, it resumes on the next run, and the first
    failure is raised once every rule has had its turn."""
    now = now or timezone.now()
    selected = [r for r in rules() if only is None or r.name == only]
    if only is not None and not selected:
        raise LookupError(f"No retention rule is named {only!r}.")
    runs: list[RetentionRun] = []
    failures: list[Exception] = []
    for rule in selected:
        try:
            runs.append(run_rule(rule=rule, now=now, batch_size=batch_size, progress=progress))
        except Exception as exc:
            logger.exception("Retention rule %s failed; it resumes on the next run.", rule.name)
            failures.append(exc)
    if failures:
        raise failures[0]
    return runs
