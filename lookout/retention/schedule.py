"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # retention rules run once a day, at night (UTC)
    Periodic("retention.daily", "17 3 * * *", "lookout.retention.tasks.run_retention"),
]
