"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # the live self-audit, once a day
    Periodic("compliance.self_audit", "41 4 * * *", "lookout.compliance.tasks.run_self_audit_task"),
]
