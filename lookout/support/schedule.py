"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # staff who chose it are emailed once when a conversation in their role's queue becomes
    # overdue for its first answer (support.staff_alerts; C1.9)
    Periodic("support.alert_overdue", "*/15 * * * *", "lookout.support.tasks.alert_overdue"),
]
