"""Retention rules for data whose app does not (yet) list its own in `<app>/retention.py`.

Each rule is set-based: it selects a batch of row keys past the period and purges or
anonymizes them with one UPDATE or DELETE per batch. Personal values sealed under a guest's own
data key are crypto-shredded: the key is destroyed, so copies in old backups die with it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.db.models.functions import Coalesce, Length
from django_tasks_db.models import DBTaskResult

from lookout.accounts.models import User
from lookout.cart.models import Cart
from lookout.core.inventory import (
    ACCOUNT_LIFETIME,
    AUDIT_RETENTION,
    CACHE_RETENTION,
    CART_RETENTION,
    ORDER_RETENTION,
    SESSION_RETENTION,
    TASK_RETENTION,
)
from lookout.inbox.models import Message
from lookout.inbox.personal_data import INBOX_RETENTION
from lookout.orders.models import Delivery, Order
from lookout.retention import deliveries
from lookout.retention.models import RetentionRun
from lookout.retention.personal_data import RUN_REPORT_RETENTION
from lookout.retention.registry import Rule, queryset_rule
from lookout.sharing.models import Disclosure

FINISHED_TASKS = ("SUCCESSFUL", "FAILED")
FINISHED = deliveries.FINISHED  # order statuses nothing leaves
CACHE_TABLE = "lookout_cache"
# What Django's set_unusable_password() stores, minus the random suffix: no password matches.
UNUSABLE_PASSWORD = "!"  # noqa: S105


# --- orders: personal data of orders delivered (or closed) longer ago than ORDER_RETENTION --------


def _deliveries_due(cutoff: datetime) -> models.QuerySet[Delivery]:
    """Deliveries of finished orders past the period whose sealed address is not yet blanked."""
    return (
        Delivery.objects.alias(
            ended=Coalesce("order__delivered_at", "order__closed_at"),
            sealed=Length("address"),
        )
        .filter(ended__lt=cutoff, sealed__gt=0)
        .filter(order__status__in=FINISHED)
    )


def _disclosures_due(cutoff: datetime) -> models.QuerySet[Disclosure]:
    return Disclosure.objects.filter(at__lt=cutoff)


# --- accounts: customer accounts unused for ACCOUNT_LIFETIME -------------------------------------


def _dormant_accounts(cutoff: datetime) -> models.QuerySet[User]:
    """Open customer accounts not signed in to since the cutoff, with no order still under way."""
    under_way = Order.objects.exclude(status__in=FINISHED).values("user_id")
    return (
        User.objects.alias(last_seen=Coalesce("last_login", "date_joined"))
        .filter(role="", closed_at__isnull=True, last_seen__lt=cutoff)
        .exclude(pk__in=under_way)
    )


def _close_dormant_accounts(keys: list[Any], now: datetime) -> int:
    """Erase each dormant account exactly as an approved deletion request would (C6.4): every
    app's eraser runs, then the data key is destroyed, so the email, saved addresses, messages
    and orders sealed under it become unreadable everywhere, backups included; and every partner
    the ledger names for the person is asked to forget them, with a certificate on record
    (C6.7; its reference is derived from the person's subject id, as no request was made)."""
    from django.db import transaction
    from django.utils import timezone

    from lookout.privacy.erasure import erase_subject, partner_records
    from lookout.sharing.redaction import open_redactions
    from lookout.vault.routers import KEYSTORE

    people = list(
        User.objects.filter(pk__in=keys, closed_at__isnull=True).values_list("subject", flat=True)
    )
    for subject in people:
        records = partner_records(subject)
        with transaction.atomic(using=KEYSTORE), transaction.atomic():
            erase_subject(subject=subject)
            open_redactions(
                subject=subject,
                request_id=uuid.uuid5(DORMANT_CLOSURE, str(subject)),
                key_destroyed_at=timezone.now(),
                records=records,
            )
    return len(people)


# The namespace of the ids a dormant account's closure stands in for a deletion request with.
DORMANT_CLOSURE = uuid.UUID("0b5d1c0e-7a43-4c8e-9d1e-6a2f0c3b9e51")


# --- the database cache: a table without a model ---------------------------------------------


def _cache_table_exists() -> bool:
    return CACHE_TABLE in connection.introspection.table_names()


def _cache_batch(cutoff: datetime, cursor: str, limit: int) -> list[Any]:
    """Cache keys of entries written before the cutoff or already expired (a key's expiry is
    at most a day after writing, so `expires` past the cutoff + period means expired)."""
    if not _cache_table_exists():
        return []  # the cache lives in Redis, which expires entries itself
    expired_before = cutoff + CACHE_RETENTION.period
    with connection.cursor() as cursor_:
        cursor_.execute(
            f"SELECT cache_key FROM {CACHE_TABLE} WHERE expires < %s AND cache_key > %s "  # noqa: S608
            "ORDER BY cache_key LIMIT %s",
            [expired_before, cursor, limit],
        )
        return [row[0] for row in cursor_.fetchall()]


def _cache_apply(keys: list[Any], now: datetime) -> int:
    with connection.cursor() as cursor_:
        placeholders = ", ".join(["%s"] * len(keys))
        cursor_.execute(
            f"DELETE FROM {CACHE_TABLE} WHERE cache_key IN ({placeholders})",  # noqa: S608
            list(keys),
        )
        return int(cursor_.rowcount)


def _cache_count(cutoff: datetime) -> int:
    if not _cache_table_exists():
        return 0
    with connection.cursor() as cursor_:
        cursor_.execute(
            f"SELECT COUNT(*) FROM {CACHE_TABLE} WHERE expires < %s",  # noqa: S608
            [cutoff + CACHE_RETENTION.period],
        )
        return int(cursor_.fetchone()[0])


RULES = [
    queryset_rule(
        name="cart.stale_carts",
        retention=CART_RETENTION,
        does="deletes anonymous carts unchanged for the period, with their lines",
        due=lambda cutoff: Cart.objects.filter(updated_at__lt=cutoff),
    ),
    Rule(
        name="orders.delivery_personal_data",
        retention=ORDER_RETENTION,
        does=(
            "blanks the delivery details and card brand/last four of orders finished before the "
            "cutoff; destroys guest buyers' data keys"
        ),
        batch=deliveries.next_due,
        apply=deliveries.anonymize,
        count=lambda cutoff: _deliveries_due(cutoff).count(),
        around=deliveries.in_memory_for_the_run,
    ),
    queryset_rule(
        name="sharing.disclosures",
        retention=ORDER_RETENTION,
        does="deletes disclosure-ledger rows older than the period",
        due=_disclosures_due,
    ),
    queryset_rule(
        name="accounts.dormant",
        retention=ACCOUNT_LIFETIME,
        does="closes customer accounts unused for the period and destroys their data key",
        due=_dormant_accounts,
        apply=_close_dormant_accounts,
    ),
    queryset_rule(
        name="inbox.messages",
        retention=INBOX_RETENTION,
        does="deletes inbox messages sent before the cutoff",
        due=lambda cutoff: Message.objects.filter(created_at__lt=cutoff),
    ),
    queryset_rule(
        name="sessions.expired",
        retention=SESSION_RETENTION,
        does="deletes sessions whose expiry has passed (what `clearsessions` does)",
        due=lambda cutoff: Session.objects.filter(
            expire_date__lt=cutoff + SESSION_RETENTION.period
        ),
    ),
    queryset_rule(
        name="tasks.finished_results",
        retention=TASK_RETENTION,
        does="deletes results of background tasks finished before the cutoff",
        due=lambda cutoff: DBTaskResult.objects.filter(
            status__in=FINISHED_TASKS, finished_at__lt=cutoff
        ),
    ),
    queryset_rule(
        name="admin.log_entries",
        retention=AUDIT_RETENTION,
        does="deletes Django admin log entries older than the period",
        due=lambda cutoff: LogEntry.objects.filter(action_time__lt=cutoff),
    ),
    queryset_rule(
        name="retention.reports",
        retention=RUN_REPORT_RETENTION,
        does="deletes retention run reports older than the period",
        due=lambda cutoff: RetentionRun.objects.filter(started_at__lt=cutoff),
    ),
    Rule(
        name="cache.expired",
        retention=CACHE_RETENTION,
        does="deletes expired entries of the database cache",
        batch=_cache_batch,
        apply=_cache_apply,
        count=_cache_count,
    ),
]
