"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # data keys still under a retired master key re-wrapped, every 10 minutes
    Periodic("vault.rewrap_pending", "*/10 * * * *", "lookout.vault.tasks.rewrap_pending_keys"),
]
