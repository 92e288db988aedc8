"""The order rule's set-based work (C4.6): find the next batch of expired deliveries, blank them
and their card details, and crypto-shred the keys of guests who need them no more.

Why it is written this way (docs/decisions/0021-retention-throughput.md):

- Batches follow the table's physical order. On SQLite that is the `rowid`: a batch of 5,000
  consecutive rows dirties a few hundred pages. Batches in primary-key order (random UUIDs)
  spread each batch over nearly every page of the table, so every batch rewrote the whole
  table and the run cost ten times the writes. PostgreSQL has no stable physical key, so there
  the batches follow the primary key as before.
- One pass finds the batch: the query that picks the due rows also returns each row's order,
  subject and whether a guest bought it. The updates then go straight to those rows by key,
  instead of re-evaluating the "due" join in every statement.
- The batch is picked and applied in one transaction (`run_rule`), and the statuses that make
  an order due are final (no transition leaves them), so a picked row cannot stop being due
  before it is blanked.
- Key lists go to the database as one parameter: a JSON array on SQLite (`json_each`), an
  array on PostgreSQL (`= ANY`). Thousands of separate parameters cost more than the updates.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Count, ExpressionWrapper, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Length

from lookout.orders.models import Delivery, Status
from lookout.payments.models import Payment
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

FINISHED = (Status.DELIVERED, Status.CANCELLED, Status.PAYMENT_FAILED)  # final: nothing leaves them
EMPTY = models.Value(b"", output_field=models.BinaryField())  # a blanked non-null sealed field


class DueDelivery(NamedTuple):
    """One delivery past the period. Its `key` is its place in the batch order; `str()` of it is
    the run's cursor (what `run_rule` records after each batch)."""

    key: Any
    order_id: Any
    subject: Any
    guest: bool

    def __str__(self) -> str:
        return str(self.key)


def _key() -> RawSQL | F:
    """The batch order: SQLite's rowid (physical order), else the primary key."""
    if connection.vendor == "sqlite":
        return RawSQL('"orders_delivery"."rowid"', (), output_field=models.BigIntegerField())
    return F("pk")


def _cursor_value(cursor: str) -> Any:
    return int(cursor) if connection.vendor == "sqlite" else uuid.UUID(cursor)


def _listed(
    values: Iterable[Any], field: models.Field[Any, Any], *, using: str = DEFAULT_DB_ALIAS
) -> RawSQL:
    """A whole list as one parameter, for `__in`: a JSON array on SQLite, an array on
    PostgreSQL. The values come from the database (keys, ids), never from a request."""
    values = list(values)
    if connections[using].vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),), output_field=field)
    # One text parameter split by the server: a Python list of UUIDs is adapted one element at
    # a time, which cost more worker time than everything else the batch does.
    return RawSQL(
        "SELECT unnest(string_to_array(%s, ','))::uuid",
        (",".join(map(str, values)),),
        output_field=field,
    )


def _as_text(name: str) -> Cast:
    """A UUID column as the database stores it: no per-row UUID objects built in Python."""
    return Cast(name, output_field=models.CharField())


def next_due(cutoff: datetime, cursor: str, limit: int) -> list[DueDelivery]:
    """The next `limit` deliveries after `cursor` whose order finished before `cutoff` and whose
    sealed details are not blanked yet, in batch order."""
    rows = (
        Delivery.objects.annotate(key=_key())
        .alias(
            ended=Coalesce("order__delivered_at", "order__closed_at"),
            sealed=Length("address"),
        )
        .filter(sealed__gt=0, order__status__in=FINISHED, ended__lt=cutoff)
    )
    if cursor:
        rows = rows.filter(key__gt=_cursor_value(cursor))
    picked = rows.order_by("key").values_list(
        "key" if connection.vendor == "sqlite" else _as_text("pk"),
        _as_text("order_id"),
        _as_text("subject"),
        ExpressionWrapper(Q(order__user__isnull=True), output_field=models.BooleanField()),
    )[:limit]
    return [DueDelivery(*row) for row in picked]


def _still_sealed(subjects: Sequence[Any]) -> set[Any]:
    """Of these subjects, those with a delivery whose details are still sealed (under their key).

    Most guests have one order: a look at the subject index (no table rows) rules them out, and
    only subjects with several deliveries are checked for one still sealed."""
    if not subjects:
        return set()
    field = Delivery._meta.get_field("subject")
    shared = list(
        Delivery.objects.filter(subject__in=_listed(subjects, field))
        .values("subject")
        .annotate(n=Count("*"))
        .filter(n__gt=1)
        .values_list("subject", flat=True)
    )
    if not shared:
        return set()
    sealed = (
        Delivery.objects.alias(sealed=Length("address"))
        .filter(subject__in=_listed((_as_row(s) for s in shared), field), sealed__gt=0)
        .values_list("subject", flat=True)
        .distinct()
    )
    return {_as_row(s) for s in sealed}


def _as_row(subject: uuid.UUID) -> str:
    """A subject the way `next_due` hands it over: as the database stores it, in text."""
    return subject.hex if connection.vendor == "sqlite" else str(subject)


def anonymize(rows: list[DueDelivery], now: datetime) -> int:
    """Blank every sealed delivery field, the email's blind index and the card details of the
    batch; destroy the data key of guest buyers (a guest's key serves their orders only) once
    none of their deliveries is still sealed. One statement per table for the whole batch."""
    if not rows:
        return 0
    order_ref = Payment._meta.get_field("order_ref")
    key_field = models.BigIntegerField() if connection.vendor == "sqlite" else order_ref
    with transaction.atomic(using=KEYSTORE), transaction.atomic():
        Payment.objects.filter(order_ref__in=_listed((r.order_id for r in rows), order_ref)).update(
            brand="", last4="", exp_month=None, exp_year=None
        )
        changed = (
            Delivery.objects.alias(key=_key())
            .filter(key__in=_listed((r.key for r in rows), key_field))
            .update(name=EMPTY, address=EMPTY, phone=None, email=None, email_index="")
        )
        # After the update, a guest subject still sealed somewhere keeps its key until then.
        guests = list({r.subject for r in rows if r.guest})
        keep = _still_sealed(guests)
        _shred([s for s in guests if s not in keep])
    return changed


def _shred(subjects: list[Any]) -> int:
    """Crypto-shred these guests: delete their data keys in the key store, with one DELETE and
    one parameter. (What `vault.crypto.destroy_data_keys` does, without building a thousand
    query parameters per 1,000 keys; that alone was a fifth of the run's time.)"""
    if not subjects:
        return 0
    listed = _listed(subjects, DataKey._meta.get_field("subject"), using=KEYSTORE)
    return DataKey.objects.using(KEYSTORE).filter(subject__in=listed).delete()[0]
