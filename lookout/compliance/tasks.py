"""The self-audit as a periodic task (listed in lookout/compliance/schedule.py)."""

from __future__ import annotations

from django.tasks import task

from lookout.compliance.selfaudit.runner import run_self_audit


@task()
def run_self_audit_task() -> dict[str, object]:
    """Run the live self-audit; the privacy officers are messaged when a check fails."""
    run = run_self_audit()
    return {"run": str(run.pk), "ok": run.ok}
