"""Background work of orders, enqueued every minute by the scheduler (lookout.core.scheduler)."""

from __future__ import annotations

from django.tasks import task

from lookout.orders import guest
from lookout.orders.holds import settle_waiting
from lookout.orders.models import Order


@task()
def settle_waiting_orders() -> dict[str, int]:
    """Reconcile waiting payments with the processor and expire unpaid holds (orders.holds);
    then email the link of each guest order that became paid without its buyer coming back
    to the return page (reconciliation, a webhook): once per order (orders.guest)."""
    outcomes = dict(settle_waiting())
    outcomes["links_emailed"] = guest.email_missing_links()
    return outcomes


@task()
def email_guest_link(order_id: str, base_url: str) -> bool:
    """The guest's link and order number, sent by the worker: a mail server that is down
    fails this task (the task's record says so), never the buyer's page of a paid order."""
    order = Order.objects.filter(pk=order_id).first()
    return order is not None and guest.email_link(order=order, base_url=base_url)
