"""This app's periodic tasks, collected by lookout.core.scheduler.periodic_jobs()."""

from lookout.core.scheduler import Periodic

PERIODIC = [
    # waiting payments reconciled and expired holds released, every minute (orders.holds)
    Periodic("orders.settle_waiting", "* * * * *", "lookout.orders.tasks.settle_waiting_orders"),
]
