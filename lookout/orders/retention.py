"""Retention rules of order data kept outside the delivery (C4.6), collected by
lookout.retention.registry. The deliveries themselves are blanked by the retention app's own
'orders.delivery_personal_data' rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from lookout.core.inventory import CACHE_RETENTION, ORDER_RETENTION
from lookout.core.retention_rules import queryset_rule
from lookout.orders.models import Cancellation, Order, OrderNote


def _reasons_due(cutoff: datetime) -> models.QuerySet[Cancellation]:
    return Cancellation.objects.filter(at__lt=cutoff, reason__isnull=False)


def _blank_reasons(keys: list[Any], now: datetime) -> int:
    """The reason goes; the cancellation (who, when, the payment's outcome) stays with the
    order's other anonymous facts."""
    return Cancellation.objects.filter(pk__in=keys).update(reason=None)


def _notes_due(cutoff: datetime) -> models.QuerySet[OrderNote]:
    return OrderNote.objects.filter(at__lt=cutoff)


def _hold_clients_due(cutoff: datetime) -> models.QuerySet[Order]:
    return Order.objects.filter(placed_at__lt=cutoff).exclude(hold_client="")


def _blank_hold_clients(keys: list[Any], now: datetime) -> int:
    """Only an order waiting for payment is counted against its network, and none waits
    longer than the hold (minutes): a day later the digest serves nothing."""
    return Order.objects.filter(pk__in=keys).update(hold_client="")


RULES = [
    queryset_rule(
        name="orders.hold_clients",
        retention=CACHE_RETENTION,
        does="blanks the digest of the client network an order was placed from (counted only "
        "while the order waits for payment), a day after the order was placed",
        due=_hold_clients_due,
        apply=_blank_hold_clients,
    ),
    # Why a rule of its own: a guest's reasons become unreadable when the deliveries rule
    # crypto-shreds the guest's key, but a customer with an account keeps their key, and the
    # sealed reason would outlive its period under it.
    queryset_rule(
        name="orders.cancellation_reasons",
        retention=ORDER_RETENTION,
        does="blanks the reason staff gave for cancelling an order, once the order period "
        "after the cancellation is over",
        due=_reasons_due,
        apply=_blank_reasons,
    ),
    # Staff's internal notes on an order (order desk): free text about the buyer, kept for the
    # order period after it was written, then deleted (a note without its text says nothing).
    queryset_rule(
        name="orders.notes",
        retention=ORDER_RETENTION,
        does="deletes the internal notes staff wrote on an order, once the order period after "
        "the note is over",
        due=_notes_due,
    ),
]
