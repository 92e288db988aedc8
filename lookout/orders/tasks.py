"""Background work of orders, enqueued every minute by the scheduler (lookout.core.scheduler)."""

from __future__ import annotations

from django.tasks import task

from lookout.orders.holds import settle_waiting


@task()
def settle_waiting_orders() -> dict[str, int]:
    """Reconcile waiting payments with the processor and expire unpaid holds (orders.holds)."""
    return dict(settle_waiting())
