"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # a signed checkpoint of the audit chain every 15 minutes (decision 0035)
    Periodic("audit.checkpoint", "*/15 * * * *", "lookout.audit.tasks.write_checkpoint_task"),
]
