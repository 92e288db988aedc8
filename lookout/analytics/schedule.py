"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # the day's roll-ups, just after midnight (UTC)
    Periodic("analytics.daily", "5 0 * * *", "lookout.analytics.tasks.daily_analytics"),
]
