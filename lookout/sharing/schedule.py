"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # redaction requests to partners sent, retried and asked about, every five minutes
    Periodic("sharing.send_redactions", "*/5 * * * *", "lookout.sharing.tasks.send_redactions"),
]
