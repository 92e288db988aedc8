"""Why the store may hold back an erasure (C6.4): stated reasons, each from a registered check.

A check looks at one person (by their pseudonymous subject id) and returns the reasons that
apply. A *blocking* reason delays the erasure until it clears (an open order, a refund in
progress, a dispute); a non-blocking one is a statement of what is kept after it (invoices for
tax law, without anything that names the person). Apps that can hold an erasure back (returns,
payments disputes) register a check with `register_hold_check`; the built-in checks cover
orders and invoices. Payments has no "refund in progress" state and no dispute record yet:
the app that adds one registers `payments.refund_in_progress` / `payments.dispute` here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from lookout.privacy.models import Reason


@dataclass(frozen=True)
class Hold:
    code: Reason
    blocking: bool

    def as_json(self) -> dict[str, object]:
        return {"code": str(self.code), "blocking": self.blocking}


HoldCheck = Callable[[uuid.UUID], list[Hold]]
_CHECKS: dict[str, HoldCheck] = {}


def register_hold_check(name: str, check: HoldCheck) -> None:
    """Add (or replace) a named check; called at import time by the app that owns the reason."""
    _CHECKS[name] = check


def holds_for(subject: uuid.UUID) -> list[Hold]:
    """Every reason that applies to this person now, blocking ones first."""
    found: list[Hold] = []
    for check in _CHECKS.values():
        for hold in check(subject):
            if hold not in found:
                found.append(hold)
    return sorted(found, key=lambda h: (not h.blocking, str(h.code)))


def _open_orders(subject: uuid.UUID) -> list[Hold]:
    from lookout.orders.models import Order, Status

    open_statuses = (Status.PLACED, Status.PAID, Status.PROCESSING, Status.SHIPPED)
    if Order.objects.filter(subject=subject, status__in=open_statuses).exists():
        return [Hold(Reason.OPEN_ORDER, blocking=True)]
    return []


def _invoices(subject: uuid.UUID) -> list[Hold]:
    from lookout.orders.models import Order

    if Order.objects.filter(subject=subject, paid_at__isnull=False).exists():
        return [Hold(Reason.INVOICE_RETENTION, blocking=False)]
    return []


register_hold_check("orders.open", _open_orders)
register_hold_check("orders.invoices", _invoices)
