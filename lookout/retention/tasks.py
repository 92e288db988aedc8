"""Background work of retention, enqueued daily by the scheduler (lookout.core.scheduler)."""

from __future__ import annotations

from django.tasks import task

from lookout.retention.services import run_all


@task()
def run_retention() -> dict[str, int]:
    """Purge or anonymize everything past its retention period; returns counts per rule."""
    return {run.rule: run.processed for run in run_all()}
